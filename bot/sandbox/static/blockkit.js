// Block Kit and mrkdwn, rendered to the DOM the way Slack shows them (no build step, no CDN).
// window.BlockKit.render(blocks, ctx) returns an element; ctx carries the people, channels and
// what to do when an element is used: ctx.use(blockIndex, elementIndex, element, choice).
(function () {
  "use strict";

  const EMOJI = {
    white_check_mark: "✅", heavy_check_mark: "✔️", x: "❌", warning: "⚠️", rotating_light: "🚨",
    red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡", large_blue_circle: "🔵",
    white_circle: "⚪", large_green_circle: "🟢", lock: "🔒", unlock: "🔓", tada: "🎉",
    raised_hand: "✋", pager: "📟", memo: "📝", mega: "📣", mag: "🔍", leftwards_arrow_with_hook: "↩️",
    hourglass: "⌛", hourglass_flowing_sand: "⏳", fast_forward: "⏩", rewind: "⏪", eyes: "👀",
    clipboard: "📋", bulb: "💡", boom: "💥", bell: "🔔", arrows_counterclockwise: "🔄",
    pushpin: "📌", fire: "🔥", thumbsup: "👍", "+1": "👍", thumbsdown: "👎", "-1": "👎",
    heart: "❤️", smile: "😄", slightly_smiling_face: "🙂", pray: "🙏", rocket: "🚀", wave: "👋",
    speech_balloon: "💬", no_entry: "⛔", no_entry_sign: "🚫", information_source: "ℹ️",
    question: "❓", exclamation: "❗", calendar: "📆", clock3: "🕒", link: "🔗", wrench: "🔧",
    hammer_and_wrench: "🛠️", construction: "🚧", chart_with_upwards_trend: "📈", sos: "🆘",
    ok_hand: "👌", muscle: "💪", thinking_face: "🤔", sweat_smile: "😅", arrow_right: "➡️",
    point_right: "👉", checkered_flag: "🏁", stopwatch: "⏱️", busts_in_silhouette: "👥",
    bust_in_silhouette: "👤", spiral_note_pad: "🗒️", page_facing_up: "📄", book: "📖",
  };

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;");
  }
  function unesc(s) {
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }
  function emoji(name) {
    return EMOJI[name] || ":" + name + ":";
  }

  function dateToken(ts, fmt) {
    const when = new Date(Number(ts) * 1000);
    const today = new Date();
    const sameDay = when.toDateString() === today.toDateString();
    const date = sameDay ? "Today" : when.toLocaleDateString(undefined, { month: "short", day: "numeric" });
    const time = when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
    return fmt.replace(/\{date_short_pretty\}|\{date_pretty\}|\{date_long_pretty\}/g, date)
      .replace(/\{date_short\}|\{date\}|\{date_long\}|\{date_num\}/g, when.toLocaleDateString())
      .replace(/\{time_secs\}/g, when.toLocaleTimeString()).replace(/\{time\}/g, time)
      .replace(/\{ago\}/g, date + " " + time);
  }

  function special(inner, ctx) {
    const [target, label] = splitOnce(inner, "|");
    if (target[0] === "@") {
      const id = target.slice(1);
      return '<span class="mention">@' + esc(ctx.userName(id, label)) + "</span>";
    }
    if (target[0] === "#") {
      const id = target.slice(1);
      return '<span class="mention">#' + esc(label || ctx.channelName(id)) + "</span>";
    }
    if (target[0] === "!") {
      const parts = target.slice(1).split("^");
      if (parts[0] === "date" && parts.length >= 3) return esc(dateToken(parts[1], parts[2]));
      if (parts[0] === "subteam") return '<span class="mention">' + esc(label || "@group") + "</span>";
      return '<span class="mention">@' + esc(parts[0]) + "</span>";
    }
    const href = unesc(target);
    const safe = /^(https?:|mailto:)/i.test(href) ? href : "#";
    return '<a href="' + esc(safe) + '" target="_blank" rel="noopener">' + esc(unesc(label || target)) + "</a>";
  }

  function splitOnce(s, sep) {
    const i = s.indexOf(sep);
    return i < 0 ? [s, ""] : [s.slice(0, i), s.slice(i + 1)];
  }

  // Slack mrkdwn: *bold* _italic_ ~strike~ `code` ```pre``` > quote, <links>, mentions, :emoji:.
  function mrkdwn(text, ctx) {
    const keep = [];
    const hold = (html) => "\u0000" + (keep.push(html) - 1) + "\u0000";
    let s = String(text || "");
    s = s.replace(/```([\s\S]*?)```/g, (_, code) => hold("<pre>" + esc(unesc(code.replace(/^\n/, ""))) + "</pre>"));
    s = s.replace(/`([^`\n]+)`/g, (_, code) => hold("<code>" + esc(unesc(code)) + "</code>"));
    s = s.replace(/<([^<>\n]+)>/g, (_, inner) => hold(special(inner, ctx)));
    s = esc(unesc(s));
    // As in Slack, a mark opens and closes next to anything but a letter or digit ("*x*…" is bold).
    s = s.replace(/(^|[^\p{L}\p{N}*])\*([^*\n]+)\*(?![\p{L}\p{N}*])/gu, "$1<b>$2</b>");
    s = s.replace(/(^|[^\p{L}\p{N}_])_([^_\n]+)_(?![\p{L}\p{N}_])/gu, "$1<i>$2</i>");
    s = s.replace(/(^|[^\p{L}\p{N}~])~([^~\n]+)~(?![\p{L}\p{N}~])/gu, "$1<s>$2</s>");
    s = s.replace(/:([a-z0-9_+-]+):/g, (_, name) => emoji(name));
    s = s.split("\n").map((line) => line.startsWith("&gt; ") || line === "&gt;"
      ? "<blockquote>" + line.slice(5) + "</blockquote>" : line).join("\n");
    s = s.replace(/\n/g, "<br>").replace(/<\/blockquote><br>/g, "</blockquote>");
    return s.replace(/\u0000(\d+)\u0000/g, (_, i) => keep[Number(i)]);
  }

  // Markdown blocks (the review): headings, lists and the mrkdwn inline marks.
  function markdown(text, ctx) {
    return String(text || "").split("\n").map((line) => {
      const h = /^(#{1,6})\s+(.*)$/.exec(line);
      if (h) return "<h" + (h[1].length + 2) + ">" + mrkdwn(h[2], ctx) + "</h" + (h[1].length + 2) + ">";
      const li = /^\s*[-*]\s+(.*)$/.exec(line);
      if (li) return "<div class=\"li\">• " + mrkdwn(li[1].replace(/\*\*/g, "*"), ctx) + "</div>";
      return "<div>" + mrkdwn(line.replace(/\*\*([^*]+)\*\*/g, "*$1*"), ctx) + "</div>";
    }).join("");
  }

  function el(tag, cls, html) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  function textHtml(obj, ctx) {
    if (!obj) return "";
    if (typeof obj === "string") return esc(obj);
    return obj.type === "mrkdwn" ? mrkdwn(obj.text, ctx) : esc(obj.text).replace(/:([a-z0-9_+-]+):/g,
      (_, name) => (obj.emoji === false ? ":" + name + ":" : emoji(name))).replace(/\n/g, "<br>");
  }
  function plain(obj) {
    return obj ? (typeof obj === "string" ? obj : obj.text || "") : "";
  }

  function options(element) {
    const all = (element.options || []).slice();
    (element.option_groups || []).forEach((g) => all.push(...(g.options || [])));
    return all;
  }

  // A select element for any kind of select; `chosen` is the current value.
  function selectFor(element, ctx, chosen, multiple) {
    const select = document.createElement("select");
    select.className = "bk-select";
    if (multiple) select.multiple = true;
    const label = plain(element.placeholder) || "Choose…";
    select.setAttribute("aria-label", label);
    if (!multiple) {
      const none = el("option", "", esc(element.type === "overflow" ? "⋯" : label));
      none.value = "";
      select.appendChild(none);
    }
    let choices;
    const kind = element.type.replace(/^multi_/, "");
    if (kind === "users_select") {
      choices = ctx.people().map((p) => [p.id, p.real_name + " (@" + p.name + ")"]);
    } else if (kind === "conversations_select" || kind === "channels_select") {
      choices = ctx.channels().map((c) => [c.id, "#" + c.name]);
    } else {
      choices = options(element).map((o) => [o.value, plain(o.text)]);
    }
    const picked = Array.isArray(chosen) ? chosen : [chosen];
    choices.forEach(([value, text]) => {
      const option = el("option", "", esc(text).replace(/:([a-z0-9_+-]+):/g, (_, n) => emoji(n)));
      option.value = value;
      if (chosen !== undefined && chosen !== null && picked.includes(value)) option.selected = true;
      select.appendChild(option);
    });
    return select;
  }

  function initialOf(element) {
    if (element.initial_user) return element.initial_user;
    if (element.initial_conversation) return element.initial_conversation;
    if (element.initial_channel) return element.initial_channel;
    if (element.initial_users) return element.initial_users;
    if (element.initial_option) return element.initial_option.value;
    if (element.initial_options) return element.initial_options.map((o) => o.value);
    return undefined;
  }

  // An interactive element of an actions block or a section accessory.
  function interactive(element, ctx, blockIndex, elementIndex) {
    const use = (choice, undo) => ctx.use(blockIndex, elementIndex, element, choice, undo);
    if (element.type === "button") {
      const button = el("button", "bk-button" + (element.style ? " " + element.style : ""), textHtml(element.text, ctx));
      button.type = "button";
      button.addEventListener("click", () => {
        if (element.url) window.open(element.url, "_blank", "noopener");
        use(null);
      });
      return button;
    }
    if (/select$|^overflow$/.test(element.type)) {
      const multiple = element.type.startsWith("multi_");
      const select = selectFor(element, ctx, initialOf(element), multiple);
      const before = select.value;
      select.addEventListener("change", () => {
        const choice = multiple ? Array.from(select.selectedOptions).map((o) => o.value) : select.value;
        if (!multiple && !choice) return;
        use(choice, () => { select.value = before; });
      });
      return select;
    }
    if (element.type === "image") return image(element);
    return el("span", "bk-unsupported", esc("[" + element.type + "]"));
  }

  function image(block) {
    const img = document.createElement("img");
    img.className = "bk-image";
    img.alt = block.alt_text || "";
    // Offline page: remote images may not load; the alt text then stands in.
    img.src = block.image_url || "";
    return img;
  }

  function input(block, ctx, index) {
    const wrap = el("div", "bk-input");
    wrap.dataset.index = String(index);
    const id = "in-" + ctx.key + "-" + index;
    const label = el("label", "bk-label", esc(plain(block.label)) + (block.optional ? ' <span class="muted">(optional)</span>' : ""));
    label.htmlFor = id;
    wrap.appendChild(label);
    const e = block.element || {};
    let field;
    if (e.type === "plain_text_input" || e.type === "number_input" || e.type === "email_text_input" || e.type === "url_text_input") {
      field = document.createElement(e.multiline ? "textarea" : "input");
      if (!e.multiline) field.type = e.type === "number_input" ? "number" : "text";
      if (e.initial_value) field.value = e.initial_value;
      if (e.placeholder) field.placeholder = plain(e.placeholder);
      if (e.max_length) field.maxLength = e.max_length;
    } else if (e.type === "datepicker") {
      field = document.createElement("input");
      field.type = "date";
      if (e.initial_date) field.value = e.initial_date;
    } else if (e.type === "checkboxes" || e.type === "radio_buttons") {
      field = el("div", "bk-choices");
      const initial = [].concat(initialOf(e) || []);
      options(e).forEach((o, i) => {
        const row = el("label", "bk-choice");
        const box = document.createElement("input");
        box.type = e.type === "checkboxes" ? "checkbox" : "radio";
        box.name = id;
        box.value = o.value;
        box.checked = initial.includes(o.value);
        row.appendChild(box);
        row.appendChild(el("span", "", textHtml(o.text, ctx)));
        field.appendChild(row);
        if (i === 0) box.id = id;
      });
    } else {
      field = selectFor(e, ctx, initialOf(e), e.type.startsWith("multi_"));
    }
    if (!field.id) field.id = id;
    field.classList.add("bk-field");
    wrap.appendChild(field);
    if (block.hint) wrap.appendChild(el("div", "bk-hint", esc(plain(block.hint))));
    const error = el("div", "bk-error");
    error.setAttribute("role", "alert");
    wrap.appendChild(error);
    return wrap;
  }

  // The value of an input block as the page sends it (the server builds Slack's shape).
  function inputValue(wrap) {
    const field = wrap.querySelector(".bk-field");
    if (field.classList.contains("bk-choices")) {
      const checked = Array.from(field.querySelectorAll("input:checked")).map((i) => i.value);
      return field.querySelector("input[type=radio]") ? (checked[0] || null) : checked;
    }
    if (field.multiple) return Array.from(field.selectedOptions).map((o) => o.value);
    return field.value;
  }

  function block(b, ctx, index) {
    switch (b.type) {
      case "header": return el("div", "bk-header", textHtml(b.text, ctx));
      case "divider": return el("hr", "bk-divider");
      case "image": {
        const fig = el("figure", "bk-figure");
        if (b.title) fig.appendChild(el("figcaption", "", textHtml(b.title, ctx)));
        fig.appendChild(image(b));
        return fig;
      }
      case "context": {
        const row = el("div", "bk-context");
        (b.elements || []).forEach((e) => row.appendChild(e.type === "image" ? image(e) : el("span", "", textHtml(e, ctx))));
        return row;
      }
      case "section": {
        const sec = el("div", "bk-section");
        const body = el("div", "bk-section-body");
        if (b.text) body.appendChild(el("div", "bk-text", textHtml(b.text, ctx)));
        if (b.fields) {
          const grid = el("div", "bk-fields");
          b.fields.forEach((f) => grid.appendChild(el("div", "bk-field-cell", textHtml(f, ctx))));
          body.appendChild(grid);
        }
        sec.appendChild(body);
        if (b.accessory) sec.appendChild(interactive(b.accessory, ctx, index, null));
        return sec;
      }
      case "actions": {
        const row = el("div", "bk-actions");
        (b.elements || []).forEach((e, i) => row.appendChild(interactive(e, ctx, index, i)));
        return row;
      }
      case "input": return input(b, ctx, index);
      case "markdown": return el("div", "bk-markdown", markdown(b.text, ctx));
      case "rich_text": return el("div", "bk-text", esc(JSON.stringify(b.elements || [])));
      default: return el("div", "bk-unsupported", esc("[" + b.type + " block]"));
    }
  }

  function render(blocks, ctx) {
    const root = el("div", "bk-blocks");
    (blocks || []).forEach((b, i) => {
      const node = block(b, ctx, i);
      node.dataset.block = String(i);
      root.appendChild(node);
    });
    return root;
  }

  window.BlockKit = { render, mrkdwn, textHtml, plain, inputValue, esc, emoji, EMOJI };
})();
