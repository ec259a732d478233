import { escapeHtml } from './html-escape.js';

/** Inline stylesheet of the HTML report (screen and print). */
export const HTML_STYLE = `
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f5f6f8;--panel:#fff;--pass:#2f9e5b;--fail:#d1495b;--warn:#c98a0b;--skip:#8a8f98}
*{box-sizing:border-box}
html{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 32px}
code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-word}
h1{font-size:26px;margin:2px 0 4px;letter-spacing:-.01em}
h2{font-size:16px;margin:0 0 10px}
h3{font-size:14px;margin:0}
.muted{color:var(--muted)}
.small{font-size:12px}
.top{display:flex;gap:24px;align-items:stretch;justify-content:space-between;background:var(--panel);border:1px solid var(--line);border-left:8px solid var(--pass);border-radius:10px;padding:16px 20px;margin-bottom:16px}
.top.fail{border-left-color:var(--fail)}
.top.warn{border-left-color:var(--warn)}
.eyebrow{margin:0;text-transform:uppercase;font-size:11px;letter-spacing:.08em;color:var(--muted)}
.meta{margin:0;color:var(--muted);font-size:13px}
.status{display:flex;flex-direction:column;align-items:flex-end;justify-content:center;text-align:right;max-width:48%}
.status-word{font-size:32px;font-weight:800;letter-spacing:.02em;color:var(--pass)}
.top.fail .status-word{color:var(--fail)}
.top.warn .status-word{color:var(--warn)}
.status-why{font-size:13px;color:var(--fg)}
.cards{display:grid;grid-template-columns:repeat(6,minmax(0,1fr));gap:12px;margin-bottom:16px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:10px 14px}
.card.warn{border-top:3px solid var(--warn)}
.card.fail{border-top:3px solid var(--fail)}
.card-label{font-size:11px;text-transform:uppercase;letter-spacing:.06em;color:var(--muted)}
.card-value{font-size:22px;font-weight:700;margin-top:2px;white-space:nowrap}
.card-sub{font-size:12px;color:var(--muted)}
.panel{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:0 0 16px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:16px;margin-bottom:0}
.chart-panel{margin:0 0 16px}
.chart-panel figcaption p{margin:2px 0 6px;font-size:12px}
svg.chart{display:block;width:100%;height:auto;overflow:visible}
svg .grid{stroke:#eef0f3;stroke-width:1}
svg .axis{stroke:#98a2b3;stroke-width:1}
svg .tickmark{stroke:#98a2b3}
svg .tick{font-size:10.5px;fill:#667085}
pre.hook-output{margin:4px 0 0;white-space:pre-wrap;font-size:12px}
svg .axis-title{font-size:11px;fill:#475467}
svg .label{font-size:11px;fill:#d1495b;font-weight:600}
svg .empty{font-size:13px;fill:#98a2b3}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px;margin-top:4px}
.key{display:inline-flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--c);margin-right:6px;vertical-align:-1px}
.key .swatch{margin-right:0}
.swatch.dashed{height:0;border-top:3px dashed var(--c);background:none;border-radius:0;width:16px}
.note{margin:6px 0 0;font-size:12px;color:var(--muted)}
.two{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
table{border-collapse:collapse;width:100%}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
thead th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tfoot th,tfoot td{border-bottom:0;font-weight:700}
tr.zero{color:var(--muted)}
.bar-cell{width:35%}
.bar{display:block;height:10px;width:var(--w);min-width:1px;background:var(--c);border-radius:2px}
table.kv th{width:34%;color:var(--muted);font-weight:500}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:11px;font-weight:700;color:#fff;background:var(--skip);white-space:nowrap;vertical-align:1px}
.badge.pass{background:var(--pass)}
.badge.fail{background:var(--fail)}
.headline{margin:0 0 10px;font-weight:600}
table.verdict tr.fail{background:#fdf1f2}
.count{display:inline-block;margin:0 10px 2px 0;font-size:12px;color:var(--muted);white-space:nowrap}
.count b{color:var(--fg)}
.examples{margin:4px 0 0;padding-left:18px}
.warn-box{border-left:6px solid var(--warn)}
footer{text-align:center;margin-top:8px}
@media (max-width:980px){.cards{grid-template-columns:repeat(3,minmax(0,1fr))}.charts,.two{grid-template-columns:1fr}}
@media print{
  @page{size:A4;margin:12mm}
  body{background:#fff;font-size:11px}
  main{max-width:none;padding:0}
  .panel,.card,.top{border-color:#ccc;box-shadow:none}
  .cards{grid-template-columns:repeat(3,minmax(0,1fr))}
  .charts,.two{grid-template-columns:repeat(2,minmax(0,1fr));gap:10px}
  .chart-panel,.panel,.card,tr{break-inside:avoid}
  .card-value{font-size:18px}
}
`;

/**
 * The opening of a self-contained page, up to `<main>`: no scripts, no network (a CSP that allows
 * inline styles and data: images only). `title` and `generator` are escaped text.
 */
export function pageHead(title: string, generator?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
${generator !== undefined ? `<meta name="generator" content="${escapeHtml(generator)}">\n` : ''}<title>${escapeHtml(title)}</title>
<style>${HTML_STYLE}</style>
</head>
<body>
<main>`;
}
