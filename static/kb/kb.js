// Copy and open commands, and the keyboard: loaded with `defer`, and every page works without it
// (no buttons, no shortcuts). No inline script or style anywhere: the Content-Security-Policy refuses them.
(function () {
  "use strict";

  // --- copying ------------------------------------------------------------------------------

  // navigator.clipboard exists only in secure contexts (https, or http://127.0.0.1 and localhost);
  // elsewhere, or when the browser refuses, a hidden textarea and execCommand("copy") do the job.
  function copyWithTextarea(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "0";
    area.style.left = "0";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    document.body.removeChild(area);
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () {
        return copyWithTextarea(text);
      });
    }
    return copyWithTextarea(text);
  }

  // A trailing newline would run the command the moment it is pasted into a terminal.
  function commandOf(element) {
    return element.textContent.replace(/\s+$/, "").replace(/^\s+/, "");
  }

  // A button that copies the text of `code`, says so, and selects the text when copying fails.
  function copyButton(code, what) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this " + what);
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");

    button.addEventListener("click", function () {
      copyText(commandOf(code)).then(
        function () {
          button.textContent = "Copied";
          status.textContent = "Copied to the clipboard";
        },
        function () {
          button.textContent = "Press Ctrl+C";
          status.textContent = "Copying failed: select the code and copy it by hand";
          var range = document.createRange();
          range.selectNodeContents(code);
          var selection = window.getSelection();
          selection.removeAllRanges();
          selection.addRange(range);
        }
      );
      window.setTimeout(function () {
        button.textContent = "Copy";
        status.textContent = "";
      }, 2000);
    });
    return [button, status];
  }

  // --- opening PromQL -------------------------------------------------------------------------

  // The addresses come from the settings (KB_PROMETHEUS_URL, KB_GRAFANA_URL) through <body>'s data.
  function openLinks(expression) {
    var data = document.body.dataset;
    var links = [];
    function link(label, href) {
      var a = document.createElement("a");
      a.className = "open-query";
      a.href = href;
      a.rel = "noopener noreferrer";
      a.target = "_blank";
      a.textContent = label;
      links.push(a);
    }
    if (data.prometheusUrl) {
      link("Open in Prometheus", data.prometheusUrl + "/graph?g0.expr=" + encodeURIComponent(expression) + "&g0.tab=0");
    }
    if (data.grafanaUrl) {
      var pane = { queries: [{ refId: "A", expr: expression }], range: { from: "now-1h", to: "now" } };
      if (data.grafanaDatasource) {
        pane = { datasource: data.grafanaDatasource, queries: pane.queries, range: pane.range };
      }
      link("Open in Grafana Explore", data.grafanaUrl + "/explore?left=" + encodeURIComponent(JSON.stringify(pane)));
    }
    return links;
  }

  // --- code blocks: a toolbar above the code, so that no button ever covers a line ----------------

  function addBlockTools(pre) {
    var holder = pre.parentElement && pre.parentElement.classList.contains("highlight") ? pre.parentElement : null;
    if (!holder) {
      holder = document.createElement("div");
      pre.parentNode.insertBefore(holder, pre);
      holder.appendChild(pre);
    }
    holder.classList.add("code-block");
    var toolbar = document.createElement("div");
    toolbar.className = "code-toolbar";
    if (pre.classList.contains("promql")) {
      openLinks(commandOf(pre)).forEach(function (a) {
        toolbar.appendChild(a);
      });
    }
    copyButton(pre, "code").forEach(function (element) {
      toolbar.appendChild(element);
    });
    holder.insertBefore(toolbar, pre);
  }

  // --- commands in the text: `kubectl …`, PromQL (marked by kb/markdown/commands.py) ------------

  function addInlineTools(code) {
    if (code.closest("a, pre")) return;
    var holder = document.createElement("span");
    holder.className = "inline-command";
    code.parentNode.insertBefore(holder, code);
    holder.appendChild(code);
    var tools = document.createElement("span");
    tools.className = "inline-tools";
    if (code.classList.contains("promql")) {
      openLinks(commandOf(code)).forEach(function (a) {
        a.textContent = a.textContent.replace("Open in ", "").replace(" Explore", "");
        a.setAttribute("aria-label", "Open this query in " + a.textContent);
        tools.appendChild(a);
      });
    }
    copyButton(code, code.classList.contains("promql") ? "query" : "command").forEach(function (element) {
      tools.appendChild(element);
    });
    holder.appendChild(tools);
  }

  // A document's sections (.prose) and a runbook's first command repeated under its title on a phone.
  var CODE = [".prose", ".first-command"];
  function within(selector) {
    return CODE.map(function (container) {
      return container + " " + selector;
    }).join(", ");
  }
  document.querySelectorAll(within("pre")).forEach(addBlockTools);
  document.querySelectorAll(within("code.command") + ", " + within("code.promql")).forEach(addInlineTools);

  // A phone gives such cells more room (kb.css), so that a table scrolls rather than squeezes
  // its notes to a word per line.
  document.querySelectorAll("td").forEach(function (cell) {
    if (cell.textContent.trim().length > 40) cell.classList.add("long-text");
  });

  // --- the keyboard -------------------------------------------------------------------------

  function typing(target) {
    return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].indexOf(target.tagName) >= 0;
  }

  function visible(element) {
    return element.getClientRects().length > 0;
  }

  // What j and k move through: the search results when the page has some, else the page's commands.
  function items() {
    var results = Array.prototype.slice.call(document.querySelectorAll("ol.results li.result"));
    if (results.length) return results;
    return Array.prototype.slice
      .call(document.querySelectorAll(within(".code-block") + ", " + within(".inline-command")))
      .filter(visible);
  }

  function choose(list, index) {
    var previous = document.querySelector(".kb-current");
    if (previous) previous.classList.remove("kb-current");
    var item = list[Math.max(0, Math.min(index, list.length - 1))];
    item.classList.add("kb-current");
    // A result's link (Enter opens it), a command's Copy button (Enter copies it).
    var target = item.querySelector("a[href]") && item.matches("li.result") ? item.querySelector("a[href]") : item.querySelector("button.copy");
    if (target) target.focus({ preventScroll: true });
    item.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var list = items();
    if (!list.length) return false;
    var index = list.indexOf(document.querySelector(".kb-current"));
    choose(list, index < 0 ? (step > 0 ? 0 : list.length - 1) : index + step);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    if (typing(target)) {
      if (event.key === "Escape") {
        // Leaves the box with its query (a search box would clear itself), so that j and k can move.
        event.preventDefault();
        target.blur();
      } else if (event.key === "ArrowDown" && target.hasAttribute("data-search-box") && move(1)) {
        event.preventDefault();
      }
      return;
    }
    var current = document.querySelector(".kb-current");
    var handled = true;
    if (event.key === "/") {
      // To the search box on this page, or to the home page's (focused on load) when there is none.
      var box = document.querySelector("[data-search-box]");
      if (box) {
        box.focus();
        box.select();
      } else {
        window.location.assign("/");
      }
    } else if (event.key === "j") {
      handled = move(1);
    } else if (event.key === "k") {
      handled = move(-1);
    } else if (event.key === "c" && current && current.querySelector("button.copy")) {
      current.querySelector("button.copy").click();
    } else if (event.key === "Enter" && current && current.matches("li.result") && target === document.body) {
      window.location.assign(current.querySelector("a[href]").href);
    } else if (event.key === "?") {
      var help = document.getElementById("keyboard-shortcuts");
      if (help && !help.open) help.showModal();
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
