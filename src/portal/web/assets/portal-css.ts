/** The portal's stylesheet (served at /assets/portal.css); colours come from /assets/theme.css. */
export const PORTAL_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;line-height:1.5;color:#1b1f24;background:#f6f7f9}
body{margin:0}
a{color:var(--primary)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip:focus{left:1rem}
header.top{background:var(--primary);color:#fff}
header.top .bar{max-width:72rem;margin:0 auto;display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1rem}
header.top a{color:#fff;text-decoration:none}
header.top a:hover,header.top a[aria-current=page]{text-decoration:underline}
.brand{display:flex;align-items:center;gap:.5rem;font-weight:700;font-size:1.15rem;margin-right:auto}
.brand img{height:1.8rem;width:auto}
nav.main ul,nav.org ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:1rem}
header.top form{margin:0}
header.top button{background:transparent;color:#fff;border:1px solid #fff;padding:.25rem .7rem;border-radius:4px;cursor:pointer;font:inherit}
nav.org{background:#fff;border-bottom:1px solid #d8dce1}
nav.org ul{max-width:72rem;margin:0 auto;padding:.5rem 1rem}
nav.org a{text-decoration:none;color:#1b1f24;padding:.2rem .1rem}
nav.org a[aria-current=page]{border-bottom:3px solid var(--primary);font-weight:600}
main{max-width:72rem;margin:0 auto;padding:1.5rem 1rem 3rem}
h1{font-size:1.7rem;margin:.2rem 0 1rem}
h2{font-size:1.25rem;margin:1.6rem 0 .6rem}
.card{background:#fff;border:1px solid #d8dce1;border-radius:8px;padding:1rem 1.2rem;margin:0 0 1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}
.muted{color:#545d68}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid #d8dce1;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.table-wrap{overflow-x:auto;margin:0 0 1rem}
form.stack{display:grid;gap:.9rem;max-width:28rem}
form.inline{display:inline-flex;gap:.5rem;align-items:center;flex-wrap:wrap;margin:0}
label{font-weight:600;display:block}
label.inline-label{display:inline;font-weight:400}
fieldset.field{border:1px solid #d8dce1;border-radius:6px;padding:.5rem .8rem}
fieldset.field legend{font-weight:600}
.field{display:grid;gap:.25rem}
.hint{font-weight:400;color:#545d68;font-size:.9rem}
input[type=text],input[type=email],input[type=password],input[type=number],input[type=url],select,textarea{font:inherit;padding:.45rem .6rem;border:1px solid #8a939e;border-radius:4px;width:100%;background:#fff;color:#1b1f24}
textarea{min-height:10rem;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem}
.field.invalid input,.field.invalid textarea,.field.invalid select{border-color:#b3261e}
.error-text{color:#b3261e;font-weight:400}
button,.button{font:inherit;background:var(--primary);color:#fff;border:1px solid var(--primary);border-radius:4px;padding:.45rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:var(--primary)}
button.danger{background:#b3261e;border-color:#b3261e}
.alert{border-radius:6px;padding:.7rem 1rem;margin:0 0 1rem;border:1px solid}
.alert.error{background:#fdecea;border-color:#b3261e;color:#5f1410}
.alert.ok{background:#e7f5ee;border-color:var(--accent);color:#0b3d2a}
.alert.info{background:#eaf1fb;border-color:var(--primary);color:#0e2a4d}
.badge{display:inline-block;border-radius:999px;padding:.05rem .6rem;font-size:.85rem;border:1px solid #8a939e;background:#fff}
.badge.active{border-color:var(--accent);color:#0b5a3d}
.badge.pending,.badge.expiring{border-color:#8a5a00;color:#6b4500}
.badge.expired,.badge.disabled,.badge.refused{border-color:#b3261e;color:#8c1d18}
code,pre,.secret{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#1b1f24;color:#f1f3f5;padding:.8rem 1rem;border-radius:6px;overflow-x:auto}
.secret-box{display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;background:#fff8e1;border:1px solid #8a5a00;border-radius:6px;padding:.8rem}
.secret{font-size:1rem;word-break:break-all;background:#fff;padding:.3rem .5rem;border:1px solid #d8dce1;border-radius:4px}
.chart{width:100%;height:auto;background:#fff;border:1px solid #d8dce1;border-radius:6px}
.chart .bar{fill:var(--primary)}
.chart .grid{stroke:#e3e6ea}
.chart .limit{stroke:#b3261e;stroke-dasharray:4 3}
.chart .tick{font-size:11px;fill:#545d68}
.prose{max-width:46rem}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;align-items:center}
footer{max-width:72rem;margin:0 auto;padding:1rem;color:#545d68;font-size:.9rem}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
#reference{background:#fff;border:1px solid #d8dce1;border-radius:8px;min-height:20rem}
@media print{header.top,nav.org,footer,.no-print{display:none}}
`;
