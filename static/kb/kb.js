// "/" takes the operator to the search box from anywhere, as on most sites: to the box on this
// page, or to the home page (whose box is focused on load) when this page has none.
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
  const target = event.target;
  if (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName)) return;
  event.preventDefault();
  const box = document.querySelector("[data-search-box]");
  if (box) {
    box.focus();
    box.select();
  } else {
    window.location.assign("/");
  }
});
// Copy buttons on code blocks. Loaded with `defer`; the page works without it (there is simply no button).
(function () {
  "use strict";

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
  function commandOf(pre) {
    return pre.textContent.replace(/\s+$/, "");
  }

  function addCopyButton(pre) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.setAttribute("aria-label", "Copy this code");
    var status = document.createElement("span");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");

    button.addEventListener("click", function () {
      copyText(commandOf(pre)).then(
        function () {
          button.textContent = "Copied";
          status.textContent = "Copied to the clipboard";
        },
        function () {
          button.textContent = "Press Ctrl+C";
          status.textContent = "Copying failed: select the code and copy it by hand";
          var range = document.createRange();
          range.selectNodeContents(pre);
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

    var holder = pre.parentElement && pre.parentElement.classList.contains("highlight") ? pre.parentElement : null;
    if (!holder) {
      holder = document.createElement("div");
      pre.parentNode.insertBefore(holder, pre);
      holder.appendChild(pre);
    }
    holder.classList.add("code-block");
    holder.appendChild(button);
    holder.appendChild(status);
  }

  document.querySelectorAll(".prose pre").forEach(addCopyButton);
})();
