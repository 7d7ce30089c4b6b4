// The sandbox page: a small Slack client for the stand-in. State arrives whole over server-sent
// events (/api/feed); everything a person does is one POST to /api/<verb> made "as" that person.
(function () {
  "use strict";
  const BK = window.BlockKit;
  const $ = (id) => document.getElementById(id);
  const REACTIONS = ["pushpin", "eyes", "white_check_mark", "thumbsup", "tada", "fire"];
  const ui = {
    snap: null, me: localStorage.getItem("warroom-sandbox-person"), channel: "CGENERAL",
    thread: null, home: false, modalKey: null, dismissed: 0, local: [], flagsSeen: {}, flagsChanged: new Set(),
  };

  // -- talking to the sandbox -------------------------------------------------------------------
  async function api(verb, body) {
    try {
      const resp = await fetch("/api/" + verb, {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ as: ui.me, ...body }),
      });
      const reply = await resp.json();
      if (!reply.ok) localProblem(reply.error || "HTTP " + resp.status);
      return reply;
    } catch (err) {
      localProblem("The sandbox did not answer: " + err);
      return { ok: false };
    }
  }
  function localProblem(text) {
    ui.local.push(text);
    renderBanners();
  }

  function connect() {
    const feed = new EventSource("/api/feed");
    feed.onmessage = (e) => { ui.snap = JSON.parse(e.data); render(); };
    feed.onerror = () => document.body.classList.add("offline");
    feed.onopen = () => document.body.classList.remove("offline");
  }

  // -- lookups ------------------------------------------------------------------------------------
  const people = () => (ui.snap ? ui.snap.people : []);
  const publicChannels = () => ui.snap.channels.filter((c) => !c.is_dm);
  function userName(id, label) {
    const u = ui.snap && ui.snap.users[id];
    if (ui.snap && id === ui.snap.bot.id) return ui.snap.bot.name;
    return u ? u.name : (label || id);
  }
  function realName(id) {
    if (id === ui.snap.bot.id) return ui.snap.bot.name;
    const u = ui.snap.users[id];
    return u ? u.real_name : id;
  }
  function channelName(id) {
    const c = ui.snap && ui.snap.channels.find((x) => x.id === id);
    return c ? c.name : id;
  }
  function myDm() { return "D" + (ui.me || "").slice(1); }
  function postedAt(ts) {  // a message's ts is when Slack stamped it, so reloads show the same time
    const when = new Date(Number(ts) * 1000);
    return '<time datetime="' + when.toISOString() + '" title="' + BK.esc(when.toLocaleString()) + '">' +
      when.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) + "</time>";
  }

  function ctxFor(where, key) {
    return {
      key, people, channels: publicChannels, userName, channelName,
      use: async (block, element, item, choice, undo) => {
        if (item.confirm && !(await confirmDialog(item.confirm))) { if (undo) undo(); return; }
        const body = { where, block, element, choice };
        if (where.view_id) body.values = modalValues();
        await api("click", body);
      },
    };
  }

  // -- rendering ----------------------------------------------------------------------------------
  function render() {
    const snap = ui.snap;
    if (!snap.people.find((p) => p.id === ui.me)) ui.me = snap.people.length ? snap.people[0].id : null;
    if (!snap.channels.find((c) => c.id === ui.channel)) ui.channel = "CGENERAL";
    renderPeople();
    renderSidebar();
    renderFlags();
    renderMain();
    renderThread();
    renderModal();
    renderBanners();
  }

  function renderPeople() {
    const select = $("person");
    select.innerHTML = "";
    people().forEach((p) => {
      const o = document.createElement("option");
      o.value = p.id;
      o.textContent = p.real_name + " (@" + p.name + ")" + (p.title ? " — " + p.title : "");
      o.selected = p.id === ui.me;
      select.appendChild(o);
    });
    const add = document.createElement("option");
    add.value = "+";
    add.textContent = "➕ Add a person…";
    select.appendChild(add);
  }

  function link(text, active, onclick, cls) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = "#";
    a.textContent = text;
    a.className = (active ? "active " : "") + (cls || "");
    a.addEventListener("click", (e) => { e.preventDefault(); onclick(); });
    li.appendChild(a);
    return li;
  }

  function renderSidebar() {
    const channels = $("channels");
    channels.innerHTML = "";
    const order = (c) => (c.name === "general" ? "0" : c.name === "incidents" ? "1" : "2" + c.name);
    publicChannels().slice().sort((a, b) => order(a).localeCompare(order(b))).forEach((c) => {
      channels.appendChild(link("# " + c.name, !ui.home && c.id === ui.channel, () => openChannel(c.id)));
    });
    const dms = $("dms");
    dms.innerHTML = "";
    const dm = ui.snap.channels.find((c) => c.id === myDm());
    if (dm) dms.appendChild(link("Warroom (app)", !ui.home && ui.channel === dm.id, () => openChannel(dm.id)));
    const home = ui.snap.homes[ui.me];
    $("apps").hidden = !home;
    $("home-link").classList.toggle("active", ui.home);
  }

  // The flags the runbooks' kill switches set, as the sandbox's flags file holds them now.
  function renderFlags() {
    const flags = ui.snap.flags || { file: "", values: {} };
    const names = Object.keys(flags.values);
    $("flags").hidden = !flags.file;
    const list = $("flag-list");
    list.innerHTML = "";
    names.forEach((name) => {
      const li = document.createElement("li");
      li.className = "flag";
      const value = flags.values[name];
      const shown = value === null || value === undefined ? "(unset)" : String(value);
      li.append(Object.assign(document.createElement("code"), { className: "flag-name", textContent: name }),
        Object.assign(document.createElement("span"), { className: "flag-value", textContent: shown }));
      li.title = name + " = " + shown;
      if (name in ui.flagsSeen && ui.flagsSeen[name] !== shown) ui.flagsChanged.add(name);
      ui.flagsSeen[name] = shown;
      if (ui.flagsChanged.has(name)) li.classList.add("changed");  // changed while the page was open
      list.appendChild(li);
    });
    if (!names.length) list.appendChild(Object.assign(document.createElement("li"), { className: "muted", textContent: "none yet" }));
    $("flags-file").textContent = flags.file ? "in " + flags.file : "";
  }

  function openChannel(id) {
    ui.channel = id;
    ui.home = false;
    ui.thread = null;
    render();
    $("compose-text").focus();
  }

  function visibleIn(channel) {
    const msgs = (ui.snap.messages[channel] || []).map((m) => ({ ...m, channel }));
    const mine = ui.snap.ephemerals.filter((e) => e.channel === channel && e.user === ui.me);
    return msgs.concat(mine).sort((a, b) => Number(a.ts) - Number(b.ts));
  }

  function renderMain() {
    const box = $("messages");
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
    box.innerHTML = "";
    if (ui.home) {
      $("channel-name").textContent = "Warroom — Home";
      $("channel-topic").textContent = "";
      $("composer").hidden = true;
      const view = ui.snap.homes[ui.me];
      if (view) box.appendChild(BK.render(view.blocks, ctxFor({ view_id: view.id }, "home")));
      return;
    }
    $("composer").hidden = false;
    const channel = ui.snap.channels.find((c) => c.id === ui.channel);
    $("channel-name").textContent = channel.is_dm ? "Warroom" : "# " + channel.name;
    $("channel-topic").textContent = channel.topic || "";
    visibleIn(ui.channel).filter((m) => !m.thread_ts || m.thread_ts === m.ts)
      .forEach((m) => box.appendChild(message(m, true)));
    if (nearBottom || box.dataset.channel !== ui.channel) box.scrollTop = box.scrollHeight;
    box.dataset.channel = ui.channel;
  }

  function renderThread() {
    const pane = $("thread");
    if (!ui.thread || ui.home) { pane.hidden = true; return; }
    pane.hidden = false;
    const box = $("thread-messages");
    box.innerHTML = "";
    visibleIn(ui.thread.channel).filter((m) => m.ts === ui.thread.ts || m.thread_ts === ui.thread.ts)
      .forEach((m) => box.appendChild(message(m, false)));
  }

  function message(m, top) {
    const node = document.createElement("article");
    node.className = "msg" + (m.ephemeral ? " ephemeral" : "") + (m.pinned ? " pinned" : "");
    node.dataset.ts = m.ts;
    const author = m.ephemeral || m.bot_id ? ui.snap.bot.id : m.user;
    node.appendChild(Object.assign(document.createElement("div"), {
      className: "avatar" + (author === ui.snap.bot.id ? " bot" : ""),
      textContent: realName(author).slice(0, 1).toUpperCase(),
    }));
    const body = document.createElement("div");
    body.className = "msg-body";
    let meta = "<b>" + BK.esc(realName(author)) + "</b>";
    if (author === ui.snap.bot.id) meta += ' <span class="badge">APP</span>';
    meta += " " + postedAt(m.ts);
    if (m.edited) meta += ' <span class="muted">(edited)</span>';
    if (m.pinned) meta += ' <span class="pin-note">📌 Pinned</span>';
    body.appendChild(Object.assign(document.createElement("div"), { className: "msg-meta", innerHTML: meta }));
    const where = m.ephemeral ? { ephemeral_id: m.id, channel: m.channel } : { channel: m.channel, ts: m.ts };
    if (m.blocks && m.blocks.length) {
      body.appendChild(BK.render(m.blocks, ctxFor(where, m.ts)));
    } else {
      body.appendChild(Object.assign(document.createElement("div"), {
        className: "bk-text", innerHTML: BK.mrkdwn(m.text, ctxFor(where, m.ts)),
      }));
    }
    if (m.ephemeral) {
      body.appendChild(Object.assign(document.createElement("div"), {
        className: "only-you", textContent: "👁 Only visible to you",
      }));
    }
    if (m.reactions && m.reactions.length) body.appendChild(reactionRow(m));
    const replies = top ? visibleIn(m.channel).filter((r) => r.thread_ts === m.ts && r.ts !== m.ts) : [];
    if (replies.length) {
      const a = Object.assign(document.createElement("a"), {
        href: "#", className: "replies", textContent: replies.length + (replies.length === 1 ? " reply" : " replies"),
      });
      a.addEventListener("click", (e) => { e.preventDefault(); openThread(m); });
      body.appendChild(a);
    }
    node.appendChild(body);
    if (!m.ephemeral) node.appendChild(messageMenu(m, top));
    return node;
  }

  function reactionRow(m) {
    const row = document.createElement("div");
    row.className = "reactions";
    m.reactions.forEach((r) => {
      const chip = document.createElement("button");
      chip.type = "button";
      chip.className = "chip" + (r.users.includes(ui.me) ? " mine" : "");
      chip.textContent = BK.emoji(r.name) + " " + r.count;
      chip.title = ":" + r.name + ": by " + r.users.map((u) => userName(u)).join(", ");
      chip.addEventListener("click", () => api("react", { channel: m.channel, ts: m.ts, name: r.name }));
      row.appendChild(chip);
    });
    return row;
  }

  function messageMenu(m, top) {
    const menu = document.createElement("div");
    menu.className = "msg-menu";
    const button = (label, title, onclick) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.title = title;
      b.setAttribute("aria-label", title);
      b.addEventListener("click", onclick);
      menu.appendChild(b);
      return b;
    };
    button("😀", "Add reaction", (e) => popup(e.currentTarget, REACTIONS.map((name) => [
      BK.emoji(name) + " :" + name + ":", () => api("react", { channel: m.channel, ts: m.ts, name }),
    ])));
    if (top) button("💬", "Reply in thread", () => openThread(m));
    button("📌", m.pinned ? "Unpin from channel" : "Pin to channel",
      () => api("pin", { channel: m.channel, ts: m.ts }));
    const shortcuts = (ui.snap.shortcuts || []).filter((s) => s.type === "message");
    if (shortcuts.length) {
      button("⋯", "More actions", (e) => popup(e.currentTarget, shortcuts.map((s) => [
        s.name, () => api("shortcut", { channel: m.channel, ts: m.ts, callback_id: s.callback_id }),
      ])));
    }
    return menu;
  }

  function popup(anchor, items) {
    document.querySelectorAll(".popup").forEach((p) => p.remove());
    const box = document.createElement("div");
    box.className = "popup";
    box.setAttribute("role", "menu");
    items.forEach(([label, run]) => {
      const b = document.createElement("button");
      b.type = "button";
      b.setAttribute("role", "menuitem");
      b.textContent = label;
      b.addEventListener("click", () => { box.remove(); run(); });
      box.appendChild(b);
    });
    anchor.parentElement.appendChild(box);
  }

  function openThread(m) {
    ui.thread = { channel: m.channel, ts: m.ts };
    renderThread();
    $("thread-text").focus();
  }

  // -- modals and confirm dialogs -----------------------------------------------------------------
  function topModal() {
    const stack = (ui.snap.modals[ui.me] || []);
    return stack.length ? stack[stack.length - 1] : null;
  }

  function modalValues() {
    const values = {};
    document.querySelectorAll("#modal-root .bk-input").forEach((w) => { values[w.dataset.index] = BK.inputValue(w); });
    return values;
  }

  function renderModal() {
    const root = $("modal-root");
    const top = topModal();
    if (!top) { root.innerHTML = ""; ui.modalKey = null; return; }
    const view = top.view;
    const key = view.id + "/" + view.hash;
    if (key !== ui.modalKey) {
      ui.modalKey = key;
      root.innerHTML = "";
      const backdrop = document.createElement("div");
      backdrop.className = "backdrop";
      const dialog = document.createElement("form");
      dialog.className = "modal";
      dialog.setAttribute("role", "dialog");
      dialog.setAttribute("aria-label", BK.plain(view.title));
      dialog.innerHTML = '<div class="modal-head"><h2></h2><button type="button" class="x" aria-label="Close">×</button></div>' +
        '<div class="modal-error" role="alert" hidden></div><div class="modal-body"></div><div class="modal-foot"></div>';
      dialog.querySelector("h2").textContent = BK.plain(view.title);
      dialog.querySelector(".modal-body").appendChild(BK.render(view.blocks, ctxFor({ view_id: view.id }, view.id)));
      const foot = dialog.querySelector(".modal-foot");
      const close = () => api("close", { view_id: view.id });
      const cancel = Object.assign(document.createElement("button"), {
        type: "button", className: "bk-button", textContent: BK.plain(view.close) || "Cancel",
      });
      cancel.addEventListener("click", close);
      foot.appendChild(cancel);
      if (view.submit) {
        foot.appendChild(Object.assign(document.createElement("button"), {
          type: "submit", className: "bk-button primary", textContent: BK.plain(view.submit),
        }));
      }
      dialog.querySelector(".x").addEventListener("click", close);
      dialog.addEventListener("submit", (e) => {
        e.preventDefault();
        api("submit", { view_id: view.id, values: modalValues() });
      });
      backdrop.appendChild(dialog);
      root.appendChild(backdrop);
    }
    const errors = top.errors || {};
    (view.blocks || []).forEach((b, i) => {
      const wrap = root.querySelector('.bk-input[data-index="' + i + '"]');
      if (!wrap) return;
      const text = errors[b.block_id || "b" + i] || "";
      wrap.querySelector(".bk-error").textContent = text;
      wrap.classList.toggle("has-error", Boolean(text));
    });
    const general = root.querySelector(".modal-error");
    general.textContent = errors[""] || "";
    general.hidden = !errors[""];
  }

  function confirmDialog(confirm) {
    return new Promise((resolve) => {
      const root = $("dialog-root");
      root.innerHTML = '<div class="backdrop"><div class="modal confirm" role="alertdialog"><div class="modal-head"><h2></h2></div>' +
        '<div class="modal-body"></div><div class="modal-foot"></div></div></div>';
      root.querySelector(".confirm").setAttribute("aria-label", BK.plain(confirm.title) || "Are you sure?");
      root.querySelector("h2").textContent = BK.plain(confirm.title) || "Are you sure?";
      root.querySelector(".modal-body").innerHTML = BK.textHtml(confirm.text, ctxFor({}, "confirm"));
      const done = (answer) => { root.innerHTML = ""; resolve(answer); };
      const foot = root.querySelector(".modal-foot");
      const deny = Object.assign(document.createElement("button"), {
        type: "button", className: "bk-button", textContent: BK.plain(confirm.deny) || "Cancel",
      });
      deny.addEventListener("click", () => done(false));
      const ok = Object.assign(document.createElement("button"), {
        type: "button", className: "bk-button " + (confirm.style || "primary"), textContent: BK.plain(confirm.confirm) || "Yes",
      });
      ok.addEventListener("click", () => done(true));
      foot.append(deny, ok);
    });
  }

  function renderBanners() {
    const box = $("banners");
    const all = ((ui.snap && ui.snap.banners) || []).concat(ui.local);
    const fresh = all.slice(ui.dismissed);
    box.hidden = fresh.length === 0;
    if (!fresh.length) return;
    box.innerHTML = "<strong>⚠ Slack contract</strong> — what real Slack would refuse or warn about:<ul></ul>" +
      '<button type="button" class="dismiss">Dismiss</button>';
    fresh.slice(-8).forEach((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      box.querySelector("ul").appendChild(li);
    });
    box.querySelector(".dismiss").addEventListener("click", () => { ui.dismissed = all.length; renderBanners(); });
  }

  // -- the composer and the person switcher ---------------------------------------------------------
  function composer(form, area, where) {
    const send = () => {
      const text = area.value.trim();
      if (!text) return;
      area.value = "";
      const target = where();
      api("type", { channel: target.channel, text, thread_ts: target.thread_ts });
    };
    form.addEventListener("submit", (e) => { e.preventDefault(); send(); });
    area.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); }
    });
  }

  composer($("composer"), $("compose-text"), () => ({ channel: ui.channel }));
  composer($("thread-composer"), $("thread-text"), () => ({ channel: ui.thread.channel, thread_ts: ui.thread.ts }));
  $("thread-close").addEventListener("click", () => { ui.thread = null; renderThread(); });
  $("home-link").addEventListener("click", (e) => {
    e.preventDefault();
    ui.home = true;
    api("home", {});
    render();
  });
  $("person").addEventListener("change", async (e) => {
    if (e.target.value === "+") {
      const name = window.prompt("Name of the new person (e.g. Dana Smith)");
      if (name && name.trim()) {
        const reply = await api("person", { name: name.trim() });
        if (reply.ok) ui.me = reply.id;
      }
    } else {
      ui.me = e.target.value;
    }
    localStorage.setItem("warroom-sandbox-person", ui.me || "");
    ui.modalKey = null;
    if (ui.snap) render();
  });
  document.addEventListener("click", (e) => {
    if (!e.target.closest(".popup") && !e.target.closest(".msg-menu")) {
      document.querySelectorAll(".popup").forEach((p) => p.remove());
    }
  });
  connect();
})();
