// citygrid terminal: the phone page of `citygrid serve` for unit operators and field
// collectors. No framework and nothing from a CDN: this file, the page and its style are
// compiled into the binary. Every write goes through an outbox kept in the browser
// (localStorage) with an id made here, so a write made offline is sent when the network is
// back, a write sent twice is applied once, and a refused one stays listed with the reason.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const STORE = { session: "citygrid.session", outbox: "citygrid.outbox", lang: "citygrid.lang" };

const TEXT = {
  zh: {
    app: "城管通", login: "账号", password: "密码", signIn: "登录", signOut: "退出登录", tasks: "任务", verify: "核查任务",
    report: "上报", mine: "我的上报", outbox: "待发送", none: "暂无案卷", left: "剩余", over: "超时", workHours: "工时", hours: "小时",
    lead: "主办", assist: "协办", state: "状态", unit: "责任单位", deadline: "处置时限", address: "地址", reported: "上报时间",
    timeline: "办理经过", photos: "照片", note: "说明", reason: "原因（必填）", amount: "延期时长", addPhoto: "拍照 / 选择照片",
    submit: "提交", cancel: "取消", locate: "使用 GPS 定位", locating: "正在定位…", located: "已定位", tapMap: "点击地图可调整位置",
    cls: "类别", subject: "类型", part: "部件", event: "事件", urgency: "紧急程度", normal: "一般", urgent: "紧急", emergency: "特急",
    description: "问题描述（必填）", result: "处置情况（必填）", queued: "已保存，联网后自动发送", sent: "已提交", refused: "未被受理", retry: "重新读取案卷",
    discard: "删除", offline: "离线", online: "在线", position: "位置", noPosition: "尚未定位", back: "返回", duplicates: "附近可能重复的案卷",
    changePassword: "修改密码", mustChange: "管理员设置的密码须先改为自己的密码。", newPassword: "新密码", newPasswordAgain: "再次输入新密码", passwordsDiffer: "两次输入的新密码不一致",
    signed: "已签收", arrived: "已到场", urged: "催办", by: "操作人", terminalChannel: "终端", pending: "待发送", requestPending: "待审批申请",
  },
  en: {
    app: "citygrid", login: "Login", password: "Password", signIn: "Sign in", signOut: "Sign out", tasks: "Tasks", verify: "To verify",
    report: "Report", mine: "My reports", outbox: "Outbox", none: "No cases", left: "left", over: "overdue", workHours: "working h", hours: "h",
    lead: "Lead", assist: "Assisting", state: "State", unit: "Unit", deadline: "Deadline", address: "Address", reported: "Reported",
    timeline: "Timeline", photos: "Photos", note: "Note", reason: "Reason (required)", amount: "Extension", addPhoto: "Take / choose photos",
    submit: "Submit", cancel: "Cancel", locate: "Use GPS", locating: "Locating…", located: "Located", tapMap: "Tap the map to adjust",
    cls: "Class", subject: "Subject", part: "Part", event: "Event", urgency: "Urgency", normal: "Normal", urgent: "Urgent", emergency: "Emergency",
    description: "Description (required)", result: "What was done (required)", queued: "Saved; sent when online", sent: "Submitted", refused: "Refused", retry: "Reload the case",
    discard: "Discard", offline: "Offline", online: "Online", position: "Position", noPosition: "No position yet", back: "Back", duplicates: "Possible duplicates nearby",
    changePassword: "Change password", mustChange: "A password set by the administrator must first be changed to your own.", newPassword: "New password", newPasswordAgain: "New password again", passwordsDiffer: "The two new passwords differ",
    signed: "Signed for", arrived: "On site", urged: "Urged", by: "By", terminalChannel: "terminal", pending: "Pending", requestPending: "Request pending",
  },
};

// The form each step needs: a note, a mandatory reason, photos, a position, an amount.
const STEPS = {
  sign: { fields: ["note"] },
  arrive: { fields: ["note", "photos", "position"] },
  handle: { fields: ["note!", "photos"] },
  assist_report: { fields: ["note!", "photos"] },
  return: { fields: ["reason"] },
  request_extension: { fields: ["amount", "reason"] },
  request_deferral: { fields: ["reason"] },
  request_backlog: { fields: ["reason"] },
  verify_pass: { fields: ["note", "photos"] },
  verify_fail: { fields: ["reason", "photos"] },
};

const state = {
  lang: localStorage.getItem(STORE.lang) || "zh",
  session: JSON.parse(localStorage.getItem(STORE.session) || "null"),
  outbox: JSON.parse(localStorage.getItem(STORE.outbox) || "[]"),
  tab: null,
  history: [],
  flushing: false,
  photoUrls: new Map(),
};
const t = (key) => TEXT[state.lang][key] || TEXT.zh[key] || key;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child.nodeType ? child : document.createTextNode(String(child)));
  return node;
}

function svg(tag, attrs = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.hidden = true; }, 3500);
}

function save() {
  localStorage.setItem(STORE.outbox, JSON.stringify(state.outbox));
  if (state.session) localStorage.setItem(STORE.session, JSON.stringify(state.session));
  else localStorage.removeItem(STORE.session);
  renderBar();
}

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

// ---- talking to the service -------------------------------------------------------------

async function api(method, path, body) {
  const headers = {};
  if (state.session) headers.authorization = "Bearer " + state.session.token;
  let payload;
  if (body instanceof Blob) { payload = body; headers["content-type"] = body.type; }
  else if (body !== undefined) { payload = JSON.stringify(body); headers["content-type"] = "application/json"; }
  const response = await fetch("/api/v1" + path, { method, headers, body: payload });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { error: { message: text } }; }
  if (response.status === 401 && path !== "/session") signedOut(data);
  return { status: response.status, data };
}

function errorText(data) {
  const error = (data && data.error) || {};
  return (state.lang === "en" ? error.message_en : error.message) || error.message || "?";
}

function signedOut(data) {
  if (!state.session) return;
  state.session = null;
  save();
  toast(errorText(data));
  showSignIn();
}

async function photoUrl(name) {
  if (state.photoUrls.has(name)) return state.photoUrls.get(name);
  const response = await fetch("/api/v1/photos/" + encodeURIComponent(name), { headers: { authorization: "Bearer " + state.session.token } });
  if (!response.ok) return "";
  const url = URL.createObjectURL(await response.blob());
  state.photoUrls.set(name, url);
  return url;
}

// ---- the outbox -------------------------------------------------------------------------

// A phone photo shrunk to at most 1600 px a side as JPEG: small enough to keep offline.
function shrink(file) {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => {
      const scale = Math.min(1, 1600 / Math.max(image.width, image.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(image.width * scale);
      canvas.height = Math.round(image.height * scale);
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(image.src);
      resolve(canvas.toDataURL("image/jpeg", 0.82));
    };
    image.onerror = () => reject(new Error("not an image"));
    image.src = URL.createObjectURL(file);
  });
}

function dataUrlBlob(dataUrl) {
  const [head, body] = dataUrl.split(",");
  const type = head.slice(5, head.indexOf(";"));
  const bytes = atob(body);
  const array = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) array[i] = bytes.charCodeAt(i);
  return new Blob([array], { type });
}

function enqueue(item) {
  state.outbox.push({ id: newId(), created: new Date().toISOString(), status: "pending", ...item });
  save();
  flush();
}

// Sends what waits, in order. A refusal is kept with its reason; a lost network keeps the
// item for the next try; the same id sent again is answered once by the service.
async function flush() {
  if (state.flushing || !state.session) return;
  state.flushing = true;
  try {
    for (const item of state.outbox.filter((entry) => entry.status === "pending")) {
      try {
        const names = [];
        for (const photo of item.photos || []) {
          if (photo.name) { names.push(photo.name); continue; }
          const uploaded = await api("POST", "/photos", dataUrlBlob(photo.data));
          if (uploaded.status !== 201) { refuse(item, uploaded.data); break; }
          photo.name = uploaded.data.photo;
          delete photo.data;
          names.push(photo.name);
          save();
        }
        if (item.status !== "pending") continue;
        const body = JSON.parse(JSON.stringify(item.body));
        if (item.kind === "step") body.action.photos = body.action.photos === undefined ? undefined : names;
        else body.photos = names;
        const answer = await api("POST", item.path, { ...body, request_id: item.id });
        if (answer.status === 200 || answer.status === 201) {
          state.outbox = state.outbox.filter((entry) => entry.id !== item.id);
          save();
          toast(t("sent") + "：" + item.label);
          if (item.kind === "report" && answer.data.possible_duplicates && answer.data.possible_duplicates.length) {
            toast(t("duplicates") + "：" + answer.data.possible_duplicates.map((d) => d.case_no + "（" + d.distance_m + " m）").join("，"));
          }
        } else if (answer.status >= 500 || answer.status === 0) {
          break;
        } else if (answer.status !== 401) {
          refuse(item, answer.data);
        } else {
          break;
        }
      } catch (_) {
        break; // offline: try again later
      }
    }
  } finally {
    state.flushing = false;
    renderBar();
  }
}

function refuse(item, data) {
  item.status = "refused";
  item.error = errorText(data);
  save();
  toast(t("refused") + "：" + item.error);
}

// ---- the bar, the tabs ------------------------------------------------------------------

function renderBar() {
  const waiting = state.outbox.filter((entry) => entry.status === "pending").length;
  const refused = state.outbox.filter((entry) => entry.status === "refused").length;
  const queue = $("#queue");
  queue.hidden = waiting + refused === 0 || !state.session;
  queue.textContent = t("outbox") + " " + (waiting + refused);
  queue.classList.toggle("refused", refused > 0);
  const net = $("#net");
  net.classList.toggle("off", !navigator.onLine);
  net.title = navigator.onLine ? t("online") : t("offline");
  $("#lang").textContent = state.lang === "zh" ? "EN" : "中";
  $("#back").hidden = state.history.length === 0;
}

function tabsFor(role) {
  if (role === "collector") return [["verify", showTasks], ["report", showReport], ["mine", showMine]];
  return [["tasks", showTasks]];
}

function renderTabs() {
  const nav = $("#tabs");
  nav.replaceChildren();
  if (!state.session) { nav.hidden = true; return; }
  const tabs = tabsFor(state.session.account.role);
  nav.hidden = tabs.length < 2;
  for (const [key, show] of tabs) {
    nav.append(el("button", { class: state.tab === key ? "on" : "", onclick: () => { state.history = []; state.tab = key; renderTabs(); show(); } }, t(key)));
  }
  nav.append(el("button", { onclick: signOut }, t("signOut")));
  nav.hidden = false;
}

function setView(title, ...children) {
  $("#title").textContent = title;
  $("#view").replaceChildren(...children);
  renderBar();
}

function open(show) {
  state.history.push(state.current);
  state.current = show;
  show();
}

// ---- signing in ---------------------------------------------------------------------------

function showSignIn() {
  state.history = [];
  renderTabs();
  const login = el("input", { id: "login", autocomplete: "username", autocapitalize: "none" });
  const password = el("input", { id: "password", type: "password", autocomplete: "current-password" });
  const error = el("div", { class: "error", id: "sign-in-error" });
  const button = el("button", { class: "btn wide", id: "sign-in", type: "submit" }, t("signIn"));
  const form = el("form", { class: "card" }, el("h2", {}, t("app")), el("label", { for: "login" }, t("login")), login,
    el("label", { for: "password" }, t("password")), password, el("div", {}, error), button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    error.textContent = "";
    try {
      const answer = await api("POST", "/session", { login: login.value, password: password.value, client: navigator.userAgent.slice(0, 80) });
      if (answer.status === 200 && answer.data.must_change_password) {
        showChangePassword(login.value, password.value);
      } else if (answer.status === 200) {
        state.session = { token: answer.data.token, account: answer.data.account };
        save();
        start();
      } else {
        error.textContent = errorText(answer.data);
      }
    } catch (_) {
      error.textContent = t("offline");
    }
    button.disabled = false;
  });
  setView(t("app"), form);
}

// A password the administrator set is changed before anything else.
function showChangePassword(login, current) {
  const fresh = el("input", { id: "new-password", type: "password", autocomplete: "new-password" });
  const again = el("input", { id: "new-password-again", type: "password", autocomplete: "new-password" });
  const error = el("div", { class: "error" });
  const button = el("button", { class: "btn wide", id: "change-password", type: "submit" }, t("changePassword"));
  const form = el("form", { class: "card" }, el("h2", {}, t("changePassword")), el("p", { class: "hint" }, t("mustChange")),
    el("label", { for: "new-password" }, t("newPassword")), fresh, el("label", { for: "new-password-again" }, t("newPasswordAgain")), again, error, button);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (fresh.value !== again.value) { error.textContent = t("passwordsDiffer"); return; }
    button.disabled = true;
    try {
      const answer = await api("POST", "/password", { login, password: current, new_password: fresh.value, client: navigator.userAgent.slice(0, 80) });
      if (answer.status === 200) {
        state.session = { token: answer.data.token, account: answer.data.account };
        save();
        start();
      } else {
        error.textContent = errorText(answer.data);
      }
    } catch (_) { error.textContent = t("offline"); }
    button.disabled = false;
  });
  setView(t("changePassword"), form);
}

async function signOut() {
  try { await api("DELETE", "/session"); } catch (_) { /* the token expires by itself */ }
  state.session = null;
  state.outbox = state.outbox.filter((entry) => entry.status === "pending");
  save();
  showSignIn();
}

// ---- lists --------------------------------------------------------------------------------

// Times as China time, whatever zone the phone is set to.
function when(text) {
  return new Date(text).toLocaleString(state.lang === "en" ? "en-GB" : "zh-CN", { timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

function timeLeft(minutes, working, light) {
  if (minutes === null || minutes === undefined) return el("span", { class: "left" }, "");
  const hours = Math.abs(minutes) / 60;
  const amount = (hours >= 10 ? hours.toFixed(0) : hours.toFixed(1)) + " " + (working ? t("workHours") : t("hours"));
  return el("span", { class: "left " + (light || "") }, minutes >= 0 ? t("left") + " " + amount : t("over") + " " + amount);
}

function taskCard(item) {
  const clock = item.state === "handled" && item.stage ? item.stage : item;
  return el("button", { class: "card task", "data-case": item.id, onclick: () => open(() => showCase(item.id)) },
    el("span", { class: "light " + (clock.light || "") }),
    el("span", { class: "no" }, item.class_name || item.class_code),
    timeLeft(clock.left_minutes, clock.working_time, clock.light),
    el("span", { class: "what" }, item.address ? item.address + " · " + item.description : item.description),
    el("span", { class: "meta" }, el("span", { class: "tag" }, item.state_name), item.unit && state.session.account.role === "unit_operator" ? el("span", { class: "tag" }, item.lead ? t("lead") : t("assist")) : null, item.case_no));
}

async function showList(path, title) {
  setView(title, el("div", { class: "empty" }, "…"));
  try {
    const answer = await api("GET", path);
    if (answer.status !== 200) { setView(title, el("div", { class: "error" }, errorText(answer.data))); return; }
    const cases = answer.data.cases;
    setView(title, cases.length ? el("div", { id: "list" }, cases.map(taskCard)) : el("div", { class: "empty" }, t("none")));
  } catch (_) {
    setView(title, el("div", { class: "empty" }, t("offline")));
  }
}

function showTasks() {
  state.current = showTasks;
  showList("/tasks", state.session.account.role === "collector" ? t("verify") : t("tasks"));
}

function showMine() {
  state.current = showMine;
  showList("/reports", t("mine"));
}

function showOutbox() {
  const items = state.outbox.map((item) => el("div", { class: "item" },
    el("div", {}, item.label, " · ", item.status === "pending" ? t("pending") : t("refused")),
    item.error ? el("div", { class: "why" }, item.error) : null,
    item.status === "refused" ? el("div", { class: "actions" },
      item.caseId ? el("button", { class: "btn secondary", onclick: () => { discard(item); open(() => showCase(item.caseId)); } }, t("retry")) : null,
      el("button", { class: "btn secondary", onclick: () => { discard(item); showOutbox(); } }, t("discard"))) : null));
  setView(t("outbox"), el("div", { class: "card" }, items.length ? items : el("div", { class: "empty" }, t("none"))));
}

function discard(item) {
  state.outbox = state.outbox.filter((entry) => entry.id !== item.id);
  save();
}

// ---- the map snippet ----------------------------------------------------------------------

function drawMap(map, marker, onTap) {
  const [west, south, east, north] = map.bounds;
  const width = 300, height = 200;
  const box = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "map", role: "img" });
  const x = (lon) => ((lon - west) / (east - west)) * width;
  const y = (lat) => ((north - lat) / (north - south)) * height;
  const path = (points) => points.map((p, i) => (i ? "L" : "M") + x(p[0]).toFixed(1) + " " + y(p[1]).toFixed(1)).join("");
  for (const area of map.areas) box.append(svg("path", { d: area.rings.map((ring) => path(ring) + "Z").join(""), class: "area " + area.kind }));
  for (const street of map.streets) box.append(svg("path", { d: path(street.line), class: "street-edge" }));
  for (const street of map.streets) box.append(svg("path", { d: path(street.line), class: "street" }));
  // Each street named once, at the part of it nearest the middle of the snippet.
  const named = new Set();
  for (const street of map.streets) {
    if (!street.name || named.has(street.name)) continue;
    named.add(street.name);
    const inside = street.line.filter((p) => p[0] > west && p[0] < east && p[1] > south && p[1] < north);
    const points = inside.length ? inside : street.line;
    const middle = points.reduce((best, p) => (Math.hypot(x(p[0]) - width / 2, y(p[1]) - height / 2) < Math.hypot(x(best[0]) - width / 2, y(best[1]) - height / 2) ? p : best), points[0]);
    const label = svg("text", { x: Math.min(width - 40, Math.max(4, x(middle[0]))).toFixed(1), y: Math.min(height - 4, Math.max(12, y(middle[1]) - 6)).toFixed(1) });
    label.textContent = street.name;
    box.append(label);
  }
  const spot = svg("circle", { r: 7, class: "spot", cx: x(marker[0]), cy: y(marker[1]) });
  box.append(spot);
  if (onTap) {
    box.addEventListener("click", (event) => {
      const rect = box.getBoundingClientRect();
      const lon = west + ((event.clientX - rect.left) / rect.width) * (east - west);
      const lat = north - ((event.clientY - rect.top) / rect.height) * (north - south);
      spot.setAttribute("cx", x(lon));
      spot.setAttribute("cy", y(lat));
      onTap([lon, lat]);
    });
  }
  return box;
}

// ---- one case -----------------------------------------------------------------------------

async function showCase(id) {
  state.current = () => showCase(id);
  setView("…", el("div", { class: "empty" }, "…"));
  let answer;
  try { answer = await api("GET", "/cases/" + id); } catch (_) { setView(t("back"), el("div", { class: "empty" }, t("offline"))); return; }
  if (answer.status !== 200) { setView(t("back"), el("div", { class: "error" }, errorText(answer.data))); return; }
  const item = answer.data;
  const photos = el("div", { class: "photos" });
  for (const name of item.photos) photoUrl(name).then((url) => url && photos.append(el("img", { src: url, alt: t("photos") })));
  const mapSlot = el("div", { id: "case-map" });
  api("GET", "/cases/" + id + "/map").then((map) => { if (map.status === 200) mapSlot.append(drawMap(map.data, item.location)); }).catch(() => {});
  const rows = [
    [t("state"), item.state_name + (item.pending_request ? " · " + t("requestPending") : "")],
    [t("unit"), item.unit || "—"],
    [t("deadline"), item.deadline_at ? when(item.deadline_at) : "—"],
    [t("address"), item.address || "—"],
    [t("reported"), when(item.reported_at)],
  ].map(([key, value]) => el("div", { class: "row" }, el("span", {}, key), el("span", {}, value)));
  const actions = el("div", { class: "actions", id: "actions" }, item.actions.filter((action) => STEPS[action.action]).map((action) =>
    el("button", { class: "btn" + (action.action === "return" || action.action === "verify_fail" ? " secondary" : ""), "data-action": action.action,
      onclick: () => showStep(item, action) }, state.lang === "en" ? action.name_en : action.name)));
  const timeline = el("ul", { class: "timeline" }, item.timeline.slice().reverse().map((event) => {
    const shots = el("div", { class: "photos" });
    for (const name of event.photos) photoUrl(name).then((url) => url && shots.append(el("img", { src: url, alt: t("photos") })));
    return el("li", {}, el("div", { class: "when" }, when(event.at), " · ", event.by || "", event.channel === "terminal" ? " · " + t("terminalChannel") : ""),
      el("div", {}, el("b", {}, event.name), event.text ? "：" + event.text : ""), event.photos.length ? shots : null);
  }));
  const clock = item.state === "handled" && item.stage ? item.stage : item;
  setView(item.case_no,
    el("div", { class: "card" },
      el("h2", {}, el("span", { class: "light " + (clock.light || "") }), " ", item.class_name || item.class_code, " ", timeLeft(clock.left_minutes, clock.working_time, clock.light)),
      el("p", {}, item.description), rows, photos, actions),
    el("div", { class: "card" }, mapSlot),
    el("div", { class: "card" }, el("h3", {}, t("timeline")), timeline));
}

function photoPicker(chosen) {
  const list = el("div", { class: "photos" });
  const input = el("input", { type: "file", accept: "image/jpeg,image/png", capture: "environment", multiple: true, id: "photo-input" });
  input.addEventListener("change", async () => {
    for (const file of input.files) {
      try {
        const data = await shrink(file);
        chosen.push({ data });
        list.append(el("img", { src: data, alt: t("photos") }));
      } catch (_) { toast(file.name + "：" + t("refused")); }
    }
    input.value = "";
  });
  return el("div", {}, el("label", { for: "photo-input" }, t("addPhoto")), input, list);
}

function locateInto(target, onFix) {
  const status = el("span", { class: "hint" }, t("noPosition"));
  const button = el("button", { class: "btn secondary", type: "button", onclick: () => {
    if (!navigator.geolocation) { status.textContent = t("noPosition"); return; }
    status.textContent = t("locating");
    navigator.geolocation.getCurrentPosition((fix) => {
      target.position = [fix.coords.longitude, fix.coords.latitude];
      status.textContent = t("located") + " " + target.position.map((value) => value.toFixed(6)).join(", ");
      if (onFix) onFix(target.position);
    }, (error) => { status.textContent = error.message; }, { enableHighAccuracy: true, timeout: 15000 });
  } }, t("locate"));
  return el("div", {}, el("label", {}, t("position")), button, " ", status);
}

function showStep(item, action) {
  const spec = STEPS[action.action];
  const chosen = [];
  const where = {};
  const parts = [];
  const note = el("textarea", { id: "step-text" });
  const amount = el("input", { id: "step-amount", type: "number", min: "1", max: "30", value: "1" });
  const unit = el("select", { id: "step-unit" }, el("option", { value: "work_days" }, "工作日"), el("option", { value: "work_hours" }, "工作时"));
  for (const field of spec.fields) {
    if (field === "note") parts.push(el("label", { for: "step-text" }, t("note")), note);
    if (field === "note!") parts.push(el("label", { for: "step-text" }, t("result")), note);
    if (field === "reason") parts.push(el("label", { for: "step-text" }, t("reason")), note);
    if (field === "amount") parts.push(el("label", { for: "step-amount" }, t("amount")), el("div", { class: "actions" }, amount, unit));
    if (field === "photos") parts.push(photoPicker(chosen));
    if (field === "position") parts.push(locateInto(where));
  }
  const error = el("div", { class: "error" });
  const submit = el("button", { class: "btn wide", id: "step-submit", onclick: () => {
    const text = note.value.trim();
    const needsText = spec.fields.includes("reason") || spec.fields.includes("note!");
    if (needsText && !text) { error.textContent = spec.fields.includes("reason") ? t("reason") : t("result"); return; }
    const body = { action: action.action };
    if (spec.fields.includes("reason")) body.reason = text; else body.note = text;
    if (spec.fields.includes("photos")) body.photos = [];
    if (spec.fields.includes("position")) body.location = where.position || null;
    if (action.action === "request_extension") { body.amount = Number(amount.value); body.unit = unit.value; }
    enqueue({ kind: "step", path: "/cases/" + item.id + "/steps", caseId: item.id, label: item.case_no + " " + (state.lang === "en" ? action.name_en : action.name),
      photos: chosen, body: { revision: item.revision, action: body } });
    toast(navigator.onLine ? t("sent") : t("queued"));
    setTimeout(() => showCase(item.id), 600);
  } }, t("submit"));
  setView(state.lang === "en" ? action.name_en : action.name,
    el("div", { class: "card" }, el("h2", {}, item.case_no, " · ", item.class_name || ""), parts, error, submit,
      el("button", { class: "btn secondary wide", type: "button", onclick: () => showCase(item.id) }, t("cancel"))));
}

// ---- reporting ----------------------------------------------------------------------------

async function showReport() {
  state.current = showReport;
  const draft = { position: null, photos: [] };
  const subject = el("select", { id: "report-subject" }, el("option", { value: "event" }, t("event")), el("option", { value: "part" }, t("part")));
  const cls = el("select", { id: "report-class" });
  const urgency = el("select", { id: "report-urgency" }, ["normal", "urgent", "emergency"].map((value) => el("option", { value }, t(value))));
  const address = el("input", { id: "report-address" });
  const description = el("textarea", { id: "report-description" });
  const mapSlot = el("div", { id: "report-map" });
  const error = el("div", { class: "error" });
  let classes = [];
  const fillClasses = () => {
    cls.replaceChildren(...classes.filter((entry) => entry.subject === subject.value)
      .map((entry) => el("option", { value: entry.code }, entry.code + " " + (state.lang === "en" ? entry.name_en : entry.name))));
  };
  subject.addEventListener("change", fillClasses);
  const drawAt = async (position) => {
    try {
      const map = await api("GET", `/map?lon=${position[0]}&lat=${position[1]}`);
      if (map.status === 200) mapSlot.replaceChildren(drawMap(map.data, position, (tapped) => { draft.position = tapped; }), el("div", { class: "hint" }, t("tapMap")));
    } catch (_) { /* offline: the GPS fix alone will do */ }
  };
  const submit = el("button", { class: "btn wide", id: "report-submit", onclick: () => {
    if (!draft.position) { error.textContent = t("noPosition"); return; }
    if (!description.value.trim()) { error.textContent = t("description"); return; }
    enqueue({ kind: "report", path: "/reports", label: t("report") + " " + (cls.selectedOptions[0] ? cls.selectedOptions[0].textContent : ""), photos: draft.photos,
      body: { subject: subject.value, class_code: cls.value, urgency: urgency.value, location: draft.position, address: address.value, description: description.value } });
    toast(navigator.onLine ? t("sent") : t("queued"));
    setTimeout(showMine, 600);
    state.tab = "mine";
    renderTabs();
  } }, t("submit"));
  setView(t("report"), el("div", { class: "card" },
    el("label", { for: "report-subject" }, t("subject")), subject, el("label", { for: "report-class" }, t("cls")), cls,
    el("label", { for: "report-urgency" }, t("urgency")), urgency,
    locateInto(draft, drawAt), mapSlot,
    el("label", { for: "report-address" }, t("address")), address,
    el("label", { for: "report-description" }, t("description")), description,
    photoPicker(draft.photos), error, submit));
  try {
    const answer = await api("GET", "/classes");
    if (answer.status === 200) { classes = answer.data.classes; localStorage.setItem("citygrid.classes", JSON.stringify(classes)); }
  } catch (_) { classes = JSON.parse(localStorage.getItem("citygrid.classes") || "[]"); }
  fillClasses();
  const home = state.session.account.district_center;
  if (home) { draft.position = draft.position || home; drawAt(draft.position); }
}

// ---- start ---------------------------------------------------------------------------------

function start() {
  renderBar();
  if (!state.session) { showSignIn(); return; }
  const tabs = tabsFor(state.session.account.role);
  state.tab = tabs[0][0];
  renderTabs();
  tabs[0][1]();
  flush();
}

document.addEventListener("DOMContentLoaded", () => {
  $("#back").addEventListener("click", () => { const previous = state.history.pop(); if (previous) { state.current = previous; previous(); } renderBar(); });
  $("#queue").addEventListener("click", () => open(showOutbox));
  $("#lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; localStorage.setItem(STORE.lang, state.lang); document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en"; start(); });
  // Back online: send what waited, then show the current view afresh.
  window.addEventListener("online", () => { renderBar(); flush().then(() => { if (state.session && state.current) state.current(); }); });
  window.addEventListener("offline", renderBar);
  setInterval(flush, 15000);
  start();
});
