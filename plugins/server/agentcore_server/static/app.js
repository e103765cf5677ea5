// agentcore's web page: a thin client of the /v1 API. Every value from the server is put in
// the page with textContent (never as HTML); the API key, if the server needs one, stays in
// this tab's sessionStorage and goes out only as an Authorization header.
"use strict";

const KEY = "agentcore-api-key";

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

function problem(text) {
  const box = document.getElementById("problem");
  box.textContent = text || "";
  box.hidden = !text;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: headers(options.body ? { "Content-Type": "application/json" } : {}),
  });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401) askForKey();
  if (!response.ok) throw new Error(body.error || `${response.status} ${response.statusText}`);
  return body;
}

function askForKey() {
  const form = document.getElementById("key-form");
  form.hidden = false;
  document.getElementById("key-state").textContent = "this server needs an API key";
}

function setUpKeyForm() {
  const form = document.getElementById("key-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById("key-input").value.trim());
    location.reload();
  });
  if (sessionStorage.getItem(KEY)) document.getElementById("key-state").textContent = "key set";
}

// Server-Sent Events over fetch (EventSource cannot send an Authorization header).
async function follow(runId, after, onEvent) {
  const response = await fetch(`/v1/runs/${encodeURIComponent(runId)}/events`, {
    headers: headers(after ? { "Last-Event-ID": String(after) } : {}),
  });
  if (!response.ok) throw new Error(`events: ${response.status}`);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut).replace(/^\r?\n\r?\n/, "");
      const event = { data: "" };
      for (const line of block.split(/\r?\n/)) {
        if (line.startsWith(":")) continue;
        const at = line.indexOf(":");
        const name = at < 0 ? line : line.slice(0, at);
        const text = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
        event[name] = name === "data" ? event.data + text : text;
      }
      if (!event.event) continue;
      onEvent(event.event, JSON.parse(event.data || "null"), Number(event.id));
      if (event.event === "end") return;
    }
  }
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "";
}

// -- the runs list -------------------------------------------------------------------------

async function showRuns() {
  const tbody = document.querySelector("#runs tbody");
  const page = await api("/v1/runs?limit=50");
  tbody.replaceChildren();
  for (const run of page.runs) {
    const row = tbody.insertRow();
    row.dataset.runId = run.run_id;
    const link = document.createElement("a");
    link.href = `/runs/${encodeURIComponent(run.run_id)}`;
    link.textContent = run.run_id;
    row.insertCell().append(link);
    cell(row, run.agent);
    cell(row, run.status, `status ${run.status}`);
    cell(row, run.feedback || "", run.feedback ? `rating ${run.feedback}` : "");
    cell(row, run.input);
    cell(row, run.answer ?? run.error ?? "");
    cell(row, when(run.created_at));
  }
}

function runsPage() {
  const form = document.getElementById("start-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const run = await api("/v1/runs", {
        method: "POST",
        body: JSON.stringify({
          agent: document.getElementById("start-agent").value,
          input: document.getElementById("start-input").value,
        }),
      });
      location.href = `/runs/${encodeURIComponent(run.run_id)}`;
    } catch (error) {
      problem(error.message);
    }
  });
  const refresh = () => showRuns().catch((error) => problem(error.message));
  refresh();
  setInterval(refresh, 3000);
}

// -- one run -------------------------------------------------------------------------------

function stepItem(step) {
  const item = document.createElement("li");
  item.className = "step";
  item.dataset.index = step.index;
  const line = (label, text, className) => {
    if (text == null || text === "") return;
    const p = document.createElement("p");
    p.className = className;
    const b = document.createElement("b");
    b.textContent = `${label} `;
    p.append(b, document.createTextNode(String(text)));
    item.append(p);
  };
  line("Thought", step.thought, "thought");
  if (step.action) line("Action", step.action.raw || `${step.action.tool}[…]`, "action");
  line("Observation", step.observation, "observation");
  const usage = step.usage || {};
  const facts = [
    `${usage.prompt_tokens ?? 0} prompt tokens (${usage.prompt_tokens_evaluated ?? 0} evaluated)`,
    `${usage.completion_tokens ?? 0} generated`,
    `LLM ${Number(step.llm_s || 0).toFixed(2)} s`,
    `tool ${Number(step.tool_s || 0).toFixed(2)} s`,
  ];
  line("", facts.join(" · "), "facts muted");
  return item;
}

function showEnd(run) {
  const status = document.getElementById("run-status");
  status.textContent = run.status;
  status.className = `status ${run.status}`;
  document.getElementById("run-answer").textContent = run.answer ?? "";
  const error = document.getElementById("run-error");
  error.textContent = run.error || "";
  error.hidden = !run.error;
  document.getElementById("live").hidden = true;
  document.getElementById("feedback").hidden = false;
}

async function runPage() {
  const runId = document.body.dataset.runId;
  const timeline = document.getElementById("timeline");
  const live = document.getElementById("live");
  let run;
  try {
    run = await api(`/v1/runs/${encodeURIComponent(runId)}`);
  } catch (error) {
    problem(error.message);
    return;
  }
  document.getElementById("run-input").textContent = run.input;
  document.getElementById("run-meta").textContent = `${run.agent} · ${when(run.created_at)}`;
  for (const step of run.steps) timeline.append(stepItem(step));
  document.getElementById("run-status").textContent = run.status;
  for (const rating of ["good", "bad"]) {
    document.getElementById(`feedback-${rating}`).addEventListener("click", async () => {
      try {
        await api(`/v1/runs/${encodeURIComponent(runId)}/feedback`, {
          method: "POST",
          body: JSON.stringify({ rating, note: document.getElementById("feedback-note").value || null }),
        });
        document.getElementById("feedback-state").textContent = `recorded: ${rating}`;
      } catch (error) {
        problem(error.message);
      }
    });
  }
  if (!["queued", "running"].includes(run.status)) {
    showEnd(run);
    return;
  }
  try {
    await follow(runId, run.last_event_id, (kind, data) => {
      if (kind === "started" || kind === "queued") {
        document.getElementById("run-status").textContent = kind === "started" ? "running" : kind;
      } else if (kind === "token") {
        live.hidden = false;
        live.textContent += data.text;
      } else if (kind === "retry") {
        live.textContent = "";
      } else if (kind === "step") {
        timeline.append(stepItem(data));
        live.textContent = "";
      } else if (kind === "end") {
        api(`/v1/runs/${encodeURIComponent(runId)}`).then(showEnd, (e) => problem(e.message));
      }
    });
  } catch (error) {
    problem(error.message);
  }
}

// -- chat ----------------------------------------------------------------------------------

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = `message ${role}`;
  div.textContent = text ?? "";
  document.getElementById("messages").append(div);
  return div;
}

async function chatPage() {
  const conversationId = document.body.dataset.conversationId;
  if (!conversationId) {
    const form = document.getElementById("chat-start-form");
    form?.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const made = await api("/v1/conversations", {
          method: "POST",
          body: JSON.stringify({ agent: document.getElementById("chat-agent").value }),
        });
        location.href = `/chat/${encodeURIComponent(made.conversation_id)}`;
      } catch (error) {
        problem(error.message);
      }
    });
    return;
  }
  const path = `/v1/conversations/${encodeURIComponent(conversationId)}`;
  try {
    const view = await api(path);
    for (const message of view.messages) bubble(message.role, message.text);
  } catch (error) {
    problem(error.message);
    return;
  }
  const form = document.getElementById("message-form");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = document.getElementById("message-input");
    const text = input.value;
    input.value = "";
    document.getElementById("message-button").disabled = true;
    bubble("user", text);
    const reply = bubble("agent pending", "…");
    try {
      const run = await api(`${path}/messages`, { method: "POST", body: JSON.stringify({ text }) });
      await follow(run.run_id, 0, () => {});
      const ended = await api(`/v1/runs/${encodeURIComponent(run.run_id)}`);
      reply.textContent = ended.answer ?? `(${ended.status}${ended.error ? ": " + ended.error : ""})`;
      reply.className = "message agent";
    } catch (error) {
      problem(error.message);
    } finally {
      document.getElementById("message-button").disabled = false;
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  setUpKeyForm();
  const page = document.body.dataset.page;
  if (page === "runs") runsPage();
  else if (page === "run") runPage();
  else if (page === "chat") chatPage();
});
