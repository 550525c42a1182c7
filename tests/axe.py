"""Accessibility checks of our web pages: axe-core (npm, installed by `make test` under .local/) run in headless
Chromium (Debian's package) on the page's HTML, WCAG 2.1 A and AA rules. Returns the violations (none expected)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / ".local" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """<script src="axe.min.js"></script><script>
axe.run(document, {runOnly: {type: "tag", values: %s}}).then(function (result) {
  var out = document.createElement("pre"); out.id = "axe-result";
  out.textContent = JSON.stringify(result.violations.map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(function (n) { return n.target.join(" "); })};
  }));
  document.body.appendChild(out);
});
</script>"""


def violations(html: str) -> list[dict]:
    """axe-core's WCAG 2.1 AA violations of the page `html` (rendered offline: no network at all)."""
    for needed, how in ((AXE, "make test installs it (npm install axe-core)"), (Path(CHROMIUM), "apt-get install chromium")):
        if not needed.exists():
            pytest.fail(f"{needed} is missing: {how}")
    page = html.replace("</body>", RUN % json.dumps(WCAG_21_AA) + "</body>", 1)
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "axe.min.js").write_bytes(AXE.read_bytes())
        (Path(work) / "page.html").write_text(page, encoding="utf-8")
        result = subprocess.run(
            [
                CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                "--disable-background-networking", "--disable-component-update", f"--user-data-dir={work}/profile",
                "--allow-file-access-from-files", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--virtual-time-budget=20000", "--dump-dom", f"file://{work}/page.html",
            ],
            capture_output=True, text=True, timeout=120,
        )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="axe-result">(.*?)</pre>', result.stdout, re.S)
    assert found, "axe-core did not run: " + result.stdout[-1000:]
    return json.loads(found.group(1).replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
