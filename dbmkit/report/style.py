"""The look of the report: the style sheet of dbmkit's own pages (the index, skipped chapters, the batch summary)
and the additions to the style of the chapter pages nbconvert writes."""
from __future__ import annotations

__all__ = ["REPORT_CSS", "CHAPTER_CSS", "FONT_STACK", "CJK_FONTS", "MONO_STACK"]

# Chinese on every reader's machine: after the Latin system fonts, the Simplified-Chinese font each system has —
# macOS (PingFang SC, Hiragino Sans GB), Windows (Microsoft YaHei), Linux (Noto Sans CJK SC, i.e. Source Han Sans SC;
# WenQuanYi Micro Hei on older systems) — so a browser takes the Chinese glyphs from one of them
CJK_FONTS = ("'PingFang SC','Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','Source Han Sans SC',"
             "'WenQuanYi Micro Hei'")
FONT_STACK = f"-apple-system,BlinkMacSystemFont,'Segoe UI',Roboto,Helvetica,Arial,{CJK_FONTS},sans-serif"
MONO_STACK = f"Menlo,Consolas,'DejaVu Sans Mono',{CJK_FONTS},monospace"

# the index page, the page of a skipped chapter and the consultant's batch summary
REPORT_CSS = """
body{font-family:@FONT@;
margin:0;background:#f5f7fa;color:#1d2733}
header{background:#1f5f8b;color:#fff;padding:28px 40px}header h1{margin:0 0 6px 0;font-size:28px}
header p{margin:0;opacity:.85}main{padding:24px 40px;max-width:1200px}
h2{font-size:18px;margin:28px 0 12px 0;color:#1f5f8b}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:12px}
.card{background:#fff;border-radius:8px;padding:14px 16px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
.card .v{font-size:24px;font-weight:600;color:#1d2733}.card .l{font-size:12px;color:#5b6b7b;margin-top:4px}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:8px;overflow:hidden;\
box-shadow:0 1px 3px rgba(0,0,0,.08)}
td,th{padding:9px 12px;border-bottom:1px solid #e8edf2;text-align:left;font-size:14px}
th{background:#eef3f8;font-weight:600}.ok{color:#2e7d32}.failed{color:#c62828}.skipped{color:#8d6e00}
a{color:#1f5f8b}.msg{font-size:12px;color:#c62828;white-space:pre-wrap}\
footer{padding:20px 40px;color:#7a8896;font-size:12px}
.msg.skipped{color:#8d6e00}tr.phase td{background:#f7f9fb;font-weight:600;color:#1f5f8b;font-size:13px}
.cards.data .card .v{font-size:18px}td.num{text-align:right;font-variant-numeric:tabular-nums}
td.key{color:#7a8896;font-size:12px;font-family:@MONO@}h3{font-size:15px;margin:16px 0 6px 0}\
.small{font-size:12px;color:#5b6b7b}
.kind{margin-left:8px;padding:1px 8px;border-radius:9px;background:#fff3cd;color:#5c4400;font-size:12px}
.kind.added{background:#e3f2fd;color:#0d47a1}
code{font-family:@MONO@}
""".replace("@FONT@", FONT_STACK).replace("@MONO@", MONO_STACK)


# added to the <head> of every chapter page (nbconvert's lab template)
CHAPTER_CSS = """
<style>
:root{--jp-ui-font-family:@FONT@;--jp-content-font-family:@FONT@;--jp-code-font-family:@MONO@}
body{background:#fff;font-family:@FONT@}
.dbm-banner{font-family:@FONT@;
  padding:8px 16px;background:#1f5f8b;color:#fff;font-size:14px}
.dbm-banner a{color:#fff}
.dbm-head{font-family:@FONT@;
  padding:10px 24px 0 24px;color:#5b6b7b;font-size:13px}.dbm-head p{margin:0}
.jp-RenderedHTMLCommon table.dataframe, .jp-RenderedHTMLCommon table{border-collapse:collapse;font-size:13px;
  margin:8px 0;font-variant-numeric:tabular-nums;border:none}
.jp-RenderedHTMLCommon table.dataframe thead th{background:#eef3f8;position:sticky;top:0;z-index:1}
.jp-RenderedHTMLCommon table.dataframe th,.jp-RenderedHTMLCommon table.dataframe td{padding:5px 10px;
  border:none;border-bottom:1px solid #e3e8ee}
.jp-RenderedHTMLCommon table.dataframe tbody tr:nth-child(even){background:#f7f9fb}
.jp-RenderedHTMLCommon table.dataframe tbody tr:hover{background:#eaf2fb}
.jp-OutputArea-output[data-mime-type="text/html"]{max-height:560px;overflow:auto;max-width:100%}
.jp-RenderedImage img{max-width:100%;height:auto}
/* long text wraps instead of running off the page or being cut */
.jp-OutputArea-output pre,.jp-RenderedText pre{white-space:pre-wrap;overflow-wrap:anywhere;word-break:normal}
.jp-RenderedHTMLCommon table.dataframe td{white-space:normal;overflow-wrap:break-word;max-width:32em;
  text-overflow:clip}
/* a wide table scrolls inside its own box; its first column (the key: segment, cell, decile) stays in view */
.jp-RenderedHTMLCommon table.dataframe tr>:first-child{position:sticky;left:0;z-index:1;background:#fff}
.jp-RenderedHTMLCommon table.dataframe tbody tr:nth-child(even)>:first-child{background:#f7f9fb}
.jp-RenderedHTMLCommon table.dataframe thead tr>:first-child{z-index:2;background:#eef3f8}
.jp-RenderedHTMLCommon table.dbm-table .txt{text-align:left}.jp-RenderedHTMLCommon table.dbm-table .num{
  text-align:right}
.dbm-table-note{font-size:12px;color:#5b6b7b;margin:2px 0 8px 0}
</style>
""".replace("@FONT@", FONT_STACK).replace("@MONO@", MONO_STACK)
