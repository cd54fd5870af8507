/** HTML text: every value that reaches a page goes through `esc`. */
export const esc = (value: unknown): string =>
  String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
header a{color:#cfe0ff;text-decoration:none}header h1{font-size:17px;margin:0}
main{padding:16px 24px;max-width:1200px}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;padding:12px 16px;margin:0 0 16px}
h2{font-size:15px;margin:0 0 8px}table+h2{margin-top:14px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eceff3;padding:4px 8px;text-align:left;vertical-align:top}
th{font-weight:600;color:#556;font-size:12px;text-transform:uppercase}
a{color:#1f5fbf}code,.id{font-family:ui-monospace,monospace;font-size:13px}
.muted{color:#778}.small{font-size:12px}
.badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;background:#e8ebf0}
.phase-training,.phase-comparing,.phase-gating,.phase-deploying,.phase-smoke-testing,.phase-probing,.phase-cleaning-up,.phase-starting{background:#dbe8ff}
.phase-awaiting-approval{background:#ffe9b3}.phase-completed{background:#d6f2dc}.phase-failed{background:#ffd6d6}.phase-cancelled{background:#e3e3e3}
.filters{display:flex;gap:8px;align-items:end;flex-wrap:wrap}.filters label{display:flex;flex-direction:column;font-size:12px;color:#556}
input,select,button{font:inherit;padding:3px 6px}button{cursor:pointer;border:1px solid #9aa4b5;border-radius:4px;background:#fff}
button.approve{background:#2a9d3a;color:#fff;border-color:#207a2d}button.reject,button.danger{background:#c62f2f;color:#fff;border-color:#9e2424}
.counts a{margin-right:10px}
.graph{display:flex;flex-wrap:wrap;gap:4px;align-items:center}
.node{border:1px solid #c4cad4;border-radius:14px;padding:2px 10px;font-size:12px;color:#667;background:#fff}
.node.done{background:#eef7f0;color:#2c6b38;border-color:#b8dcbf}.node.current{background:#1f5fbf;color:#fff;border-color:#1f5fbf;font-weight:600}
.node.ended{background:#c62f2f;color:#fff;border-color:#9e2424;font-weight:600}.arrow{color:#aab}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}.facts dt{color:#556}.facts dd{margin:0}
.banner{padding:8px 12px;border-radius:6px;margin:0 0 16px;font-family:ui-monospace,monospace;white-space:pre-wrap}
.banner.ok{background:#e3f5e6;border:1px solid #9fd3a8}.banner.refused{background:#fff0f0;border:1px solid #e3a1a1;color:#8a1f1f}
.versus td:first-child{color:#556}.versus .better{color:#207a2d;font-weight:600}
.actions form{display:flex;gap:8px;flex-wrap:wrap;align-items:end;margin:6px 0}
.curve-chart{max-width:100%;height:auto;background:#fff}
.curve-chart text{font-size:11px;fill:#445}.curve-chart .empty{font-size:13px;fill:#889}
.curve-chart .axis,.curve-chart .tick{stroke:#445}
.curve-chart .curve{fill:none;stroke:#1f5fbf;stroke-width:2}.curve-chart .live{fill:none;stroke:#9aa4b5;stroke-width:1.5}
.curve-chart .live-point{fill:#9aa4b5}
.curve-chart .point.kept{fill:#1f5fbf}.curve-chart .point.deleted{fill:#fff;stroke:#889;stroke-dasharray:2}
.curve-chart .point.chosen{fill:#2a9d3a;stroke:#14521d;stroke-width:2}
.curve-chart .threshold{stroke:#c62f2f;stroke-dasharray:6 4}.curve-chart .threshold-label{fill:#c62f2f}
.curve-chart .champion{stroke:#2a9d3a;stroke-dasharray:2 3}.curve-chart .champion-label{fill:#207a2d}
.legend span{margin-right:14px}.k{color:#1f5fbf}.c{color:#2a9d3a}.t{color:#c62f2f}.l{color:#9aa4b5}
.live-dot{display:inline-block;width:8px;height:8px;border-radius:4px;background:#2a9d3a;margin-right:4px}
`;

/** A whole page: the console's header, a nonce'd style and script (the CSP allows nothing else). */
export function page(
  title: string,
  body: string,
  { nonce, csrf }: { nonce: string; csrf: string },
  script = '',
): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — pipeline console</title>
<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="csrf-token" content="${esc(csrf)}">
<style nonce="${nonce}">${STYLE}</style></head><body>
<header><h1><a href="/">Pipeline console</a></h1><a href="/">Fleet</a><a href="/#slots">Serving slots</a><span class="muted small">${esc(title)}</span></header>
<main>${body}</main>
${script ? `<script nonce="${nonce}">${script}</script>` : ''}
</body></html>
`;
}

/** The time of an ISO instant to the minute, UTC, or "-". */
export const when = (iso: string | Date | undefined): string => {
  if (!iso) return '-';
  const s = typeof iso === 'string' ? iso : iso.toISOString();
  return `${s.slice(0, 19).replace('T', ' ')}`;
};
