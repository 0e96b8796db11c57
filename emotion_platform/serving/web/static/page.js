// The page: sign in, upload with progress, follow the job (it survives a reload: its id is in the
// address), show the result (player, timeline, summary, segments, corrections) and the history.
"use strict";

const $ = (id) => document.getElementById(id);
const api = (path) => `api/${path}`;
const ACTIVE = new Set(["queued", "running"]);
let current = null;   // the analysis on screen
let polling = null;

function showError(message) {
  const box = $("alert");
  box.textContent = message;
  box.hidden = !message;
}

async function call(path, options = {}) {
  const response = await fetch(api(path), { credentials: "same-origin", ...options });
  if (response.status === 204) return null;
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    if (response.status === 401 && path !== "session") signedOut();
    throw new Error(body.message || `the service answered ${response.status}`);
  }
  return body;
}

function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

function topEmotion(distribution) {
  if (!distribution) return "—";
  return Object.entries(distribution).sort((a, b) => b[1] - a[1])[0][0];
}

// --- signing in -----------------------------------------------------------------------------------
function signedIn(reviewer) {
  $("who-name").textContent = `Signed in as ${reviewer}`;
  $("who").hidden = false;
  $("sign-in-section").hidden = true;
  $("upload-section").hidden = false;
  $("history-section").hidden = false;
  loadHistory();
  const id = new URLSearchParams(location.hash.slice(1)).get("analysis");
  if (id) openAnalysis(id);
}

function signedOut() {
  $("who").hidden = true;
  $("sign-in-section").hidden = false;
  for (const id of ["upload-section", "history-section", "result-section"]) $(id).hidden = true;
}

$("sign-in").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("");
  try {
    const me = await call("session", {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: $("api-key").value, reviewer: $("reviewer").value }),
    });
    $("api-key").value = "";
    signedIn(me.reviewer);
  } catch (error) {
    showError(`Could not sign in: ${error.message}.`);
  }
});

$("sign-out").addEventListener("click", async () => {
  await call("session", { method: "DELETE" });
  location.hash = "";
  signedOut();
});

// --- uploading ------------------------------------------------------------------------------------
function upload(file) {
  showError("");
  $("job").hidden = false;
  $("job-status").textContent = `Uploading ${file.name}…`;
  $("job-progress").value = 0;
  const form = new FormData();
  form.append("file", file, file.name);
  const request = new XMLHttpRequest();
  request.open("POST", api("analyses"));
  request.upload.onprogress = (event) => {
    if (event.lengthComputable) {
      $("job-progress").value = event.loaded / event.total;
      $("job-status").textContent = `Uploading ${file.name}: ${Math.round(100 * event.loaded / event.total)}%`;
    }
  };
  request.onload = () => {
    let body = {};
    try { body = JSON.parse(request.responseText); } catch (_) { /* not JSON: keep the status line */ }
    if (request.status === 202) {
      location.hash = `analysis=${body.id}`;
      loadHistory();
      openAnalysis(body.id);
    } else {
      $("job").hidden = true;
      if (request.status === 401) signedOut();
      showError(body.message ? `${file.name} was not accepted: ${body.message}` :
        `${file.name} was not accepted (the service answered ${request.status}).`);
    }
  };
  request.onerror = () => { $("job").hidden = true; showError("The upload was interrupted; try again."); };
  request.send(form);
}

$("file").addEventListener("change", () => { if ($("file").files[0]) upload($("file").files[0]); $("file").value = ""; });
const drop = $("drop");
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files[0]) upload(event.dataTransfer.files[0]);
});

// --- following a job and showing its result -------------------------------------------------------
async function openAnalysis(id) {
  clearTimeout(polling);
  let analysis;
  try {
    analysis = await call(`analyses/${id}`);
  } catch (error) {
    showError(error.message);
    return;
  }
  if (ACTIVE.has(analysis.status)) {
    $("job").hidden = false;
    $("job-status").textContent = `${analysis.filename}: ${analysis.stage} (${Math.round(100 * analysis.progress)}%)`;
    $("job-progress").value = analysis.progress;
    polling = setTimeout(() => openAnalysis(id), 1000);
    return;
  }
  $("job").hidden = true;
  loadHistory();
  if (analysis.status === "failed") {
    showError(`${analysis.filename}: ${analysis.message}`);
    return;
  }
  showResult(analysis);
}

function showResult(analysis) {
  current = analysis;
  const result = analysis.result;
  $("result-section").hidden = false;
  $("result-title").textContent = analysis.filename;
  const summary = result.summary;
  $("result-meta").textContent = summary.dominant
    ? `Mostly ${summary.dominant} (${Math.round(100 * summary.confidence)}% sure) · ${result.segments.length} segments · ` +
      `${clock(result.media.duration_s)} · model ${analysis.model_name} v${analysis.model_version}`
    : `No emotions found: ${summary.reason} · model ${analysis.model_name} v${analysis.model_version}`;
  const box = $("player-box");
  box.innerHTML = "";
  const player = document.createElement(analysis.media_kind === "video" ? "video" : "audio");
  player.controls = true;
  player.preload = "metadata";
  player.src = api(`analyses/${analysis.id}/media`);
  player.id = "player";
  player.setAttribute("aria-label", `${analysis.filename}, player`);
  box.appendChild(player);
  drawTimeline(result, player);
  drawSummary(summary);
  drawFaces(analysis, player);
  drawSegments(analysis);
  $("download-json").href = api(`analyses/${analysis.id}/export.json`);
  $("download-csv").href = api(`analyses/${analysis.id}/export.csv`);
}

function drawTimeline(result, player) {
  const timeline = $("timeline");
  timeline.innerHTML = "";
  const total = Math.max(result.media.duration_s, ...result.segments.map((s) => s.end), 0.001);
  result.segments.forEach((segment, index) => {
    const band = document.createElement("button");
    band.type = "button";
    band.className = `band ${segment.top ? `emotion-${segment.top}` : "none"}`;
    band.setAttribute("role", "listitem");
    band.dataset.index = index;
    band.dataset.start = segment.start;
    band.style.left = `${(100 * segment.start) / total}%`;
    band.style.width = `${(100 * Math.max(segment.end - segment.start, 0.05)) / total}%`;
    band.style.setProperty("--doubt", segment.confidence ? (1 - segment.confidence) * 0.7 : 0);
    const label = segment.top || "no emotion";
    const sure = segment.confidence ? `, ${Math.round(100 * segment.confidence)}% sure` : "";
    band.setAttribute("aria-label", `${clock(segment.start)} to ${clock(segment.end)}: ${label}${sure}. ${segment.text}`);
    band.title = `${clock(segment.start)}–${clock(segment.end)} ${label}${sure}`;
    const text = document.createElement("span");
    text.textContent = segment.top ? segment.top.slice(0, 3) : "";
    band.appendChild(text);
    band.addEventListener("click", () => {
      player.currentTime = segment.start;
      player.play().catch(() => { /* autoplay may be refused: the position is set all the same */ });
    });
    timeline.appendChild(band);
  });
  player.addEventListener("timeupdate", () => {
    for (const band of timeline.children) {
      const segment = result.segments[band.dataset.index];
      band.classList.toggle("playing", player.currentTime >= segment.start && player.currentTime < segment.end);
    }
  });
}

function drawSummary(summary) {
  const chart = $("summary-chart");
  chart.innerHTML = "";
  const shares = summary.time_share_by_top_emotion || {};
  for (const [emotion, share] of Object.entries(shares).filter((e) => e[1] > 0).sort((a, b) => b[1] - a[1])) {
    const row = document.createElement("div");
    row.className = `row emotion-${emotion}`;
    row.innerHTML = `<span></span><div class="bar" role="img"></div><span></span>`;
    row.children[0].textContent = emotion;
    row.children[1].style.width = `${Math.round(100 * share)}%`;
    row.children[1].setAttribute("aria-label", `${emotion}: ${Math.round(100 * share)}% of the time`);
    row.children[2].textContent = `${Math.round(100 * share)}%`;
    chart.appendChild(row);
  }
}

function drawFaces(analysis, player) {
  const crops = analysis.result.face_crops || [];
  const list = $("faces");
  list.innerHTML = "";
  $("faces-box").hidden = crops.length === 0;
  for (const crop of crops) {
    const item = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.className = `face emotion-${crop.top}`;
    button.setAttribute("aria-label", `Face at ${clock(crop.t)}, read as ${crop.top}: play from there`);
    const image = document.createElement("img");
    image.src = api(`analyses/${analysis.id}/faces/${crop.file}`);
    image.alt = "";
    const caption = document.createElement("span");
    caption.textContent = `${clock(crop.t)} ${crop.top}`;
    button.append(image, caption);
    button.addEventListener("click", () => { player.currentTime = crop.t; });
    item.appendChild(button);
    list.appendChild(item);
  }
}

function drawSegments(analysis) {
  const body = $("segments").tBodies[0];
  body.innerHTML = "";
  const options = $("emotion-options").innerHTML;
  analysis.result.segments.forEach((segment, index) => {
    const row = body.insertRow();
    if (segment.low_confidence) row.classList.add("low");
    const cells = [`${clock(segment.start)}–${clock(segment.end)}`, segment.text || "(no words)"];
    for (const value of cells) row.insertCell().textContent = value;
    const emotion = row.insertCell();
    emotion.className = `emotion emotion-${segment.top}`;
    emotion.innerHTML = "<b></b>";
    emotion.append(segment.top || "—");
    for (const branch of [segment.text_branch, segment.speech_branch, segment.face_branch]) {
      row.insertCell().textContent = topEmotion(branch);
    }
    row.insertCell().textContent = segment.confidence ? `${Math.round(100 * segment.confidence)}%` : "—";
    const cell = row.insertCell();
    const select = document.createElement("select");
    select.id = `correction-${index}`;
    select.setAttribute("aria-label", `Correct the emotion of segment ${index + 1} (${clock(segment.start)})`);
    select.innerHTML = `<option value="">—</option>${options}`;
    const saved = analysis.corrections[index];
    if (saved) select.value = saved.emotion;
    select.addEventListener("change", async () => {
      if (!select.value) return;
      try {
        const done = await call(`analyses/${analysis.id}/segments/${index}/correction`, {
          method: "PUT", headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ emotion: select.value }),
        });
        select.dataset.saved = done.emotion;
        showError("");
      } catch (error) {
        showError(`The correction was not saved: ${error.message}`);
      }
    });
    cell.appendChild(select);
  });
}

// --- history --------------------------------------------------------------------------------------
async function loadHistory() {
  let items;
  try {
    items = await call("analyses");
  } catch (error) {
    return;
  }
  const list = $("history");
  list.innerHTML = "";
  $("history-empty").hidden = items.length > 0;
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.id = item.id;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = item.filename;
    const state = document.createElement("span");
    state.className = "state";
    state.textContent = item.status === "done" ? `${item.dominant || "no emotion"} · ${new Date(item.created_at).toLocaleString()}`
      : item.status === "failed" ? `failed: ${item.message}` : `${item.stage} ${Math.round(100 * item.progress)}%`;
    const open = document.createElement("button");
    open.type = "button";
    open.className = "quiet open";
    open.textContent = "Open";
    open.setAttribute("aria-label", `Open ${item.filename}`);
    open.addEventListener("click", () => { location.hash = `analysis=${item.id}`; openAnalysis(item.id); });
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "quiet delete";
    remove.textContent = "Delete";
    remove.setAttribute("aria-label", `Delete ${item.filename}`);
    remove.addEventListener("click", async () => {
      if (!confirm(`Delete the analysis of ${item.filename} and its file?`)) return;
      await call(`analyses/${item.id}`, { method: "DELETE" });
      if (current && current.id === item.id) { $("result-section").hidden = true; location.hash = ""; }
      loadHistory();
    });
    li.append(name, state, open, remove);
    list.appendChild(li);
  }
}

// The address names the open analysis: back/forward and edited addresses open it too.
window.addEventListener("hashchange", () => {
  const id = new URLSearchParams(location.hash.slice(1)).get("analysis");
  if (id && !$("upload-section").hidden && (!current || current.id !== id)) openAnalysis(id);
});

// On load: a live session (the cookie) skips the sign-in.
call("me").then((me) => signedIn(me.reviewer)).catch(() => signedOut());
