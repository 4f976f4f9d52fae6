// neuralab playground — the page. Vanilla ES2020, no build step, no external assets.
// Talks to the server of src/neuralab/playground/server.py (API in the package docs):
// POST /api/sessions, an EventSource of "setup"/"frame" events, small JSON POSTs for changes.
"use strict";

(function () {
  const I18N = window.I18N;
  const t = (key, vars) => I18N.t(key, vars);
  const $ = (id) => document.getElementById(id);

  // ------------------------------------------------------------------ constants
  const ORANGE = [245, 147, 34];   // class 0, negative values (TensorFlow Playground's colours)
  const BLUE = [8, 119, 189];      // class 1, positive values
  const MID = [232, 234, 235];
  const PALETTE = ["#f59322", "#0877bd", "#2ca02c", "#9467bd",
                   "#d62728", "#17becf", "#8c564b", "#e377c2"];
  const PALETTE_RGB = PALETTE.map(hexToRgb);
  const FEATURES = ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"];
  const FEATURE_LABELS = {x1: "X₁", x2: "X₂", x1sq: "X₁²", x2sq: "X₂²", x1x2: "X₁X₂",
                          sinx1: "sin(X₁)", sinx2: "sin(X₂)"};
  const ACTIVATIONS = ["tanh", "relu", "leaky_relu", "sigmoid", "linear"];
  const DATASETS = {classification: ["circle", "xor", "gauss", "spiral", "blobs"],
                    regression: ["plane", "multigauss"]};
  const LR_VALUES = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG_VALUES = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const MAX_CSV_BYTES = 256 * 1024;
  const MAX_POINTS = 2000;
  const MAX_HIDDEN_LAYERS = 10;
  const MAX_UNITS = 64;
  const DOMAIN = 6;                 // inputs live in [-6, 6]²
  const DIGIT_SIDE_SENT = 112;      // the drawing is downsampled to this before it is sent

  // Config keys as they appear in the URL hash, with their types (also the set sent on load).
  const HASH_KEYS = {
    mode: "str", problem: "str", dataset: "str", classes: "int", points: "int", noise: "num",
    train_ratio: "num", batch_size: "int", features: "strlist", hidden: "intlist",
    activation: "strlist", loss: "str", optimizer: "str", lr: "num", regularization: "str",
    reg_rate: "num", dropout: "num", seed: "int", epochs_per_frame: "int", view: "view",
  };

  // ------------------------------------------------------------------ state
  const params = new URLSearchParams(location.search);
  const token = params.get("token") || "";
  const state = {
    sessionId: null, source: null, setup: null, frame: null, config: null,
    frames: 0, history: {train: [], test: [], epochs: []}, historyFresh: false,
    pending: [],           // the user's points not yet sent: [x1, x2, label]
    weightSel: null,       // {layer, to, from} of the open weight card
    pinned: false, renderQueued: false, reconnects: 0, lastHash: "", digits: null,
    info: null, layout: null, diverged: false,
  };
  window.playground = {setup: null, frame: null, sessionId: null};

  // ------------------------------------------------------------------ small helpers
  function hexToRgb(hex) {
    const v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }

  function mix(a, b, s) {
    return [a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s, a[2] + (b[2] - a[2]) * s];
  }

  // A byte v (0..255) ↦ orange (0) … light grey (128) … blue (255): the diverging map of
  // the heat-maps and neuron thumbnails.
  const DIVERGING = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const s = i / 255;
    const c = s < 0.5 ? mix(ORANGE, MID, s * 2) : mix(MID, BLUE, (s - 0.5) * 2);
    DIVERGING.set(c.map(Math.round), i * 3);
  }

  function rgbCss(c) {
    return `rgb(${Math.round(c[0])},${Math.round(c[1])},${Math.round(c[2])})`;
  }

  function b64ToBytes(text) {
    const bin = atob(text || "");
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  function b64ToFloat32(text) {
    const bytes = b64ToBytes(text);
    return new Float32Array(bytes.buffer, 0, Math.floor(bytes.length / 4));
  }

  function bytesToB64(bytes) {
    let bin = "";
    const chunk = 0x8000;  // String.fromCharCode takes a bounded argument list
    for (let i = 0; i < bytes.length; i += chunk) {
      bin += String.fromCharCode.apply(null, bytes.subarray(i, i + chunk));
    }
    return btoa(bin);
  }

  function fmt(v, digits = 3) {
    if (v === null || v === undefined || Number.isNaN(v)) return "–";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e5)) return v.toExponential(2);
    return v.toFixed(digits);
  }

  // Six significant digits: enough to see the chain rule's product equal autograd's value.
  function fmtPrecise(v) {
    if (v === null || v === undefined || !Number.isFinite(v)) return fmt(v);
    const a = Math.abs(v);
    return a !== 0 && (a < 1e-4 || a >= 1e6) ? v.toExponential(5) : String(Number(v.toPrecision(6)));
  }

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else node.setAttribute(k, v);
      }
    }
    for (const child of children || []) node.append(child);
    return node;
  }

  function svgEl(tag, attrs) {
    const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  // ------------------------------------------------------------------ errors
  // Messages stack (newest last, at most three) until the user dismisses them.
  function showError(message) {
    const box = $("error-message");
    const text = box.querySelector(".error-text");
    const lines = box.hidden ? [] : text.textContent.split("\n").filter(Boolean);
    if (!lines.includes(message)) lines.push(message);
    text.textContent = lines.slice(-3).join("\n");
    box.hidden = false;
  }

  function hideError() {
    $("error-message").hidden = true;
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  function withToken(path) {
    return path + (path.includes("?") ? "&" : "?") + "token=" + encodeURIComponent(token);
  }

  // One JSON request; a 4xx/5xx answer becomes an ApiError with the server's one-line message.
  async function api(path, body, method) {
    const init = {method: method || (body === undefined ? "GET" : "POST"),
                  headers: {"X-Neuralab-Token": token}};
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (err) {
      throw new ApiError(0, t("error.network"));
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (!response.ok) {
      let message = data && typeof data.error === "string" ? data.error : `HTTP ${response.status}`;
      if (response.status === 503 && path === "/api/sessions") {
        message = t("error.session_limit");  // the server's line, in the page's language
      }
      throw new ApiError(response.status, message);
    }
    return data;
  }

  // Run an async action; its failure shows in #error-message instead of an alert.
  function guarded(action) {
    return async (...args) => {
      try {
        return await action(...args);
      } catch (err) {
        showError(err instanceof ApiError ? err.message : String(err && err.message || err));
        return undefined;
      }
    };
  }

  // ------------------------------------------------------------------ URL hash ⇄ config
  function parseHash(hash) {
    const config = {};
    const rejected = [];
    const text = hash.replace(/^#/, "");
    if (!text) return {config, rejected};
    for (const part of text.split("&")) {
      if (!part) continue;
      const eq = part.indexOf("=");
      const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
      const raw = eq < 0 ? "" : decodeURIComponent(part.slice(eq + 1));
      const type = HASH_KEYS[key];
      if (!type) continue;  // other keys (TF's own names, future ones) are ignored
      let value;
      if (type === "str") value = raw;
      else if (type === "int" || type === "num") {
        value = Number(raw);
        if (raw === "" || !Number.isFinite(value)) value = undefined;
      } else if (type === "strlist") {
        value = raw === "" ? [] : raw.split(",");
      } else if (type === "intlist") {
        value = raw === "" ? [] : raw.split(",").map(Number);
        if (value.some((v) => !Number.isFinite(v))) value = undefined;
      } else if (type === "view") {
        const nums = raw.split(",").map(Number);
        value = nums.length === 3 && nums.every(Number.isFinite)
          ? {layer: nums[0], a: nums[1], b: nums[2]} : undefined;
      }
      if (value === undefined) rejected.push({key, value: raw});
      else config[key] = value;
    }
    // "custom" needs the user's points, which a link does not carry
    if (config.dataset === "custom") delete config.dataset;
    return {config, rejected};
  }

  function configToHash(config) {
    const parts = [];
    for (const key of Object.keys(HASH_KEYS)) {
      if (!(key in config) || config[key] === null || config[key] === undefined) continue;
      let value = config[key];
      if (key === "dataset" && value === "custom") continue;
      if (key === "view") value = [value.layer, value.a, value.b].join(",");
      else if (Array.isArray(value)) value = value.join(",");
      parts.push(key + "=" + encodeURIComponent(String(value)).replace(/%2C/g, ","));
    }
    return "#" + parts.join("&");
  }

  function writeHash(config) {
    const hash = configToHash(config);
    state.lastHash = hash;
    if (location.hash !== hash) {
      history.replaceState(null, "", location.pathname + location.search + hash);
    }
  }

  // ------------------------------------------------------------------ session lifecycle
  async function createSession(config) {
    const created = await api("/api/sessions", config);
    state.sessionId = created.id;
    window.playground.sessionId = created.id;
    state.config = created.config;
    writeHash(created.config);
    syncControls(created.config);
    openStream();
  }

  async function startSession() {
    const {config, rejected} = parseHash(location.hash);
    for (const r of rejected) showError(t("error.bad_hash", {key: r.key, value: r.value}));
    try {
      await createSession(config);
    } catch (err) {
      if (err instanceof ApiError && err.status === 400 && Object.keys(config).length) {
        // a hand-edited link with a bad value: say so and start with the defaults
        showError(t("error.hash_rejected", {message: err.message}));
        await createSession({});
      } else {
        throw err;
      }
    }
  }

  function openStream() {
    if (state.source) state.source.close();
    const url = withToken(`/api/sessions/${encodeURIComponent(state.sessionId)}/events`);
    const source = new EventSource(url);
    state.source = source;
    setConnection("connecting");
    source.addEventListener("open", () => {
      state.reconnects = 0;
      setConnection("live");
    });
    source.addEventListener("setup", (ev) => onSetup(JSON.parse(ev.data)));
    source.addEventListener("frame", (ev) => onFrame(JSON.parse(ev.data)));
    source.addEventListener("ping", () => setConnection("live"));
    source.addEventListener("failure", (ev) => {  // the server's training thread failed
      try {
        showError(JSON.parse(ev.data).error);
      } catch (err) {
        showError(String(ev.data));
      }
    });
    source.addEventListener("error", () => {
      if (source !== state.source) return;
      if (source.readyState === EventSource.CLOSED) {
        // the server refused the stream (session dropped, server restarted): start afresh
        setConnection("lost");
        source.close();
        state.source = null;
        state.reconnects += 1;
        if (state.reconnects > 5) {
          showError(t("error.network"));
          return;
        }
        const delay = Math.min(8000, 500 * 2 ** state.reconnects);
        setTimeout(guarded(async () => {
          await createSession(state.config ? stripCustom(state.config) : {});
        }), delay);
      } else {
        setConnection("lost");  // the browser retries by itself
      }
    });
  }

  function stripCustom(config) {
    const copy = Object.assign({}, config);
    if (copy.dataset === "custom") delete copy.dataset;
    return copy;
  }

  function setConnection(kind) {
    const node = $("connection");
    node.dataset.state = kind;
    node.dataset.i18n = kind === "live" ? "conn.live" : kind === "lost" ? "conn.lost"
      : "conn.connecting";
    node.textContent = t(node.dataset.i18n);
  }

  function closeSession() {
    if (!state.sessionId) return;
    const url = withToken(`/api/sessions/${encodeURIComponent(state.sessionId)}/close`);
    if (navigator.sendBeacon) navigator.sendBeacon(url);
  }

  function sessionPath(tail) {
    return `/api/sessions/${encodeURIComponent(state.sessionId)}/${tail}`;
  }

  // ------------------------------------------------------------------ setup / frame
  function onSetup(setup) {
    state.setup = setup;
    window.playground.setup = setup;
    state.config = setup.config;
    state.history = {train: [], test: [], epochs: []};
    state.weightSel = null;
    closeWeightCard();
    state.lastBackprop = null;  // a rebuilt network: the old explanation no longer applies
    $("backprop-view").hidden = true;
    writeHash(setup.config);
    syncControls(setup.config);
    buildNetwork();
    buildHiddenSelects();
    buildPointClass();
    buildLegend();
    scheduleRender();
  }

  function onFrame(frame) {
    state.frame = frame;
    window.playground.frame = frame;
    state.frames += 1;
    document.body.dataset.frames = String(state.frames);
    const h = state.history;
    if (frame.history) {
      h.train = (frame.history.train_loss || []).slice();
      h.test = (frame.history.test_loss || []).slice();
      h.epochs = h.train.map((_, i) => i);
    }
    const trainValue = frame.train_loss ?? frame.errors ?? null;
    if (trainValue !== null && !frame.history) {
      const last = h.epochs.length - 1;
      if (last >= 0 && h.epochs[last] === frame.epoch) {  // a change without training
        h.train[last] = trainValue;
        h.test[last] = frame.test_loss;
      } else {
        h.epochs.push(frame.epoch);
        h.train.push(trainValue);
        h.test.push(frame.test_loss);
      }
      if (h.epochs.length > 4000) {  // keep the chart cheap: drop every other old point
        for (const key of ["epochs", "train", "test"]) h[key] = h[key].filter((_, i) => i % 2 === 0);
      }
    } else if (frame.history) {
      h.epochs = h.train.map((_, i) => i);
    }
    setPlayState(frame.state);
    updateReadouts(frame);
    noteDivergence(frame);
    scheduleRender();
  }

  // One line when a run diverges (the server pauses it); not again for the frames that follow
  // (a paused diverged run still sends a frame after every change) until a frame is sound.
  function noteDivergence(frame) {
    let diverged = frame.diverged;
    if (diverged === undefined) {  // a server without the flag: a network whose loss is gone
      diverged = (state.config || {}).mode !== "perceptron" && (frame.epoch || 0) > 0
        && frame.train_loss === null;
    }
    if (diverged && !state.diverged) showError(t("error.diverged"));
    state.diverged = Boolean(diverged);
  }

  function scheduleRender() {
    if (state.renderQueued) return;
    state.renderQueued = true;
    requestAnimationFrame(() => {
      state.renderQueued = false;
      renderAll();
    });
  }

  function renderAll() {
    drawHeatmap();
    drawLossChart();
    if (state.frame && state.setup) {
      updateNetwork(state.frame);
      drawGradBars(state.frame);
      drawConfusion(state.frame);
      drawHiddenView(state.frame);
    }
  }

  function setPlayState(value) {
    if (value !== "playing" && value !== "paused") return;
    $("play").dataset.state = value;
  }

  function updateReadouts(frame) {
    $("epoch").textContent = String(frame.epoch ?? 0);
    $("train-loss").textContent = fmt(frame.train_loss);
    $("test-loss").textContent = fmt(frame.test_loss);
    $("train-accuracy").textContent = fmt(frame.train_accuracy);
    $("test-accuracy").textContent = fmt(frame.test_accuracy);
    $("dead-count").textContent = `${frame.dead_count ?? 0} / ${frame.relu_units ?? 0}`;
    const errors = frame.errors;
    const perc = $("perceptron-errors");
    perc.textContent = errors === null || errors === undefined ? "–" : String(errors);
    perc.dataset.settled = errors === 0 ? "true" : "false";
  }

  // ------------------------------------------------------------------ controls ⇄ config
  function fillSelect(select, values, labelOf) {
    const current = select.value;
    select.replaceChildren(...values.map((v) => el("option", {value: String(v),
                                                                text: labelOf(v)})));
    if (values.map(String).includes(current)) select.value = current;
  }

  function ensureOption(select, value) {
    const text = String(value);
    if (![...select.options].some((o) => o.value === text)) {
      select.append(el("option", {value: text, text}));
      const sorted = [...select.options].sort((a, b) => Number(a.value) - Number(b.value));
      select.replaceChildren(...sorted);
    }
    select.value = text;
  }

  function syncControls(config) {
    if (!config) return;
    const set = (id, v) => {
      const node = $(id);
      if (v !== undefined && v !== null && document.activeElement !== node) node.value = String(v);
    };
    set("mode", config.mode);
    set("problem", config.problem);
    const dsList = (DATASETS[config.problem] || DATASETS.classification).slice();
    if (config.dataset === "custom") dsList.push("custom");
    fillSelect($("dataset"), dsList, (d) => t("ds." + d));
    set("dataset", config.dataset);
    // Classes: a choice only for blobs and spiral; the two-class sets and regression hide it,
    // and the user's own points show their own count (fixed by the points, so disabled).
    const custom = config.dataset === "custom";
    const chooseClasses = ["blobs", "spiral"].includes(config.dataset);
    $("classes-field").hidden = !(chooseClasses || (custom && config.problem !== "regression"));
    $("classes").disabled = !chooseClasses;
    if (custom && state.setup && state.setup.config.dataset === "custom") {
      ensureOption($("classes"), state.setup.classes || 2);
    } else {
      set("classes", config.classes);
    }
    $("custom-note").hidden = !custom;  // the hash leaves "custom" out: a link has no points
    set("points", config.points);
    set("noise", config.noise);
    set("train-ratio", config.train_ratio);
    $("noise-value").textContent = String(config.noise ?? "");
    $("train-ratio-value").textContent = (config.train_ratio ?? "") + "%";
    set("batch-size", config.batch_size);
    set("seed", config.seed);
    for (const f of FEATURES) $("feature-" + f).checked = (config.features || []).includes(f);
    set("loss", config.loss);
    $("loss").title = config.loss ? t("opt." + config.loss + "_full") : "";
    $("loss").disabled = config.problem === "regression" || config.mode === "perceptron";
    set("optimizer", config.optimizer);
    if (config.lr !== undefined) ensureOption($("lr"), config.lr);
    if (config.reg_rate !== undefined) ensureOption($("reg-rate"), config.reg_rate);
    set("regularization", config.regularization);
    set("dropout", config.dropout);
    set("epochs-per-frame", config.epochs_per_frame);
    const perceptron = config.mode === "perceptron";
    document.body.dataset.mode = perceptron ? "perceptron" : "network";
    $("layer-controls").hidden = perceptron;
    // Rosenblatt's rule has no gradient to explain
    $("backprop-button").disabled = perceptron;
    $("perceptron-badge").hidden = !perceptron;
    for (const id of ["optimizer", "regularization", "reg-rate", "dropout", "batch-size"]) {
      $(id).disabled = perceptron;
    }
    // in perceptron mode its panel (S13/S14) takes the gradient panels' place beside the net
    const percPanel = $("panel-perceptron");
    if (perceptron && percPanel.parentNode !== $("network-lessons")) {
      $("network-lessons").prepend(percPanel);
    } else if (!perceptron && percPanel.parentNode !== $("lessons")) {
      $("lessons").append(percPanel);
    }
    const n = (config.hidden || []).length;
    $("layer-count").textContent = n === 1 ? t("lbl.hidden_layer_one")
      : t("lbl.hidden_layers", {n});
    $("add-layer").disabled = n >= MAX_HIDDEN_LAYERS;
    $("remove-layer").disabled = n === 0;
  }

  // Send a partial config; the answer's full config updates the controls and the hash.
  const sendConfig = guarded(async (partial) => {
    if (!state.sessionId) return;
    const answer = await api(sessionPath("config"), partial);
    state.config = answer.config;
    writeHash(answer.config);
    syncControls(answer.config);
  });

  // The config a control change means (problem/mode changes bring consistent companions).
  function controlChange(key, value) {
    const cfg = state.config || {};
    const partial = {[key]: value};
    if (key === "problem") {
      const list = DATASETS[value];
      if (!list.includes(cfg.dataset)) partial.dataset = list[0];
      if (value === "regression") {
        partial.loss = "mse";
        if (cfg.mode === "perceptron") partial.mode = "network";
      }
    }
    if (key === "mode" && value === "perceptron") {
      // Rosenblatt's rule is for two classes
      if (cfg.problem !== "classification") {
        partial.problem = "classification";
        partial.dataset = "circle";
      }
      if (["blobs", "spiral"].includes(partial.dataset || cfg.dataset) && cfg.classes > 2) {
        partial.classes = 2;
      }
    }
    if (key === "dataset" && value === "blobs" && cfg.classes < 3) partial.classes = 3;
    return partial;
  }

  const NUMERIC_CONTROLS = {
    "classes": "classes", "points": "points", "noise": "noise", "train-ratio": "train_ratio",
    "batch-size": "batch_size", "seed": "seed", "lr": "lr", "reg-rate": "reg_rate",
    "dropout": "dropout", "epochs-per-frame": "epochs_per_frame",
  };
  const TEXT_CONTROLS = {
    "mode": "mode", "problem": "problem", "dataset": "dataset", "loss": "loss",
    "optimizer": "optimizer", "regularization": "regularization",
  };

  function bindControls() {
    fillSelect($("lr"), LR_VALUES, String);
    fillSelect($("reg-rate"), REG_VALUES, String);
    for (const [id, key] of Object.entries(TEXT_CONTROLS)) {
      $(id).addEventListener("change", (ev) => sendConfig(controlChange(key, ev.target.value)));
    }
    for (const [id, key] of Object.entries(NUMERIC_CONTROLS)) {
      const node = $(id);
      let timer = null;
      const send = () => {
        clearTimeout(timer);
        timer = null;
        if (node.value === "") return;
        const value = Number(node.value);
        if (!Number.isFinite(value)) return;
        if (state.config && state.config[key] === value) return;
        sendConfig(controlChange(key, value));
      };
      node.addEventListener("change", send);
      if (node.tagName === "INPUT") {
        // typing in a number box: send once the typing pauses (the change event waits for blur)
        node.addEventListener("input", () => {
          if (id === "noise") $("noise-value").textContent = node.value;
          if (id === "train-ratio") $("train-ratio-value").textContent = node.value + "%";
          clearTimeout(timer);
          timer = setTimeout(send, node.type === "range" ? 250 : 700);
        });
      }
    }
    $("seed-new").addEventListener("click", () => {
      const seed = Math.floor(Math.random() * 2 ** 31);  // a UI choice; the run is seeded by it
      $("seed").value = String(seed);
      sendConfig({seed});
    });
    for (const f of FEATURES) {
      $("feature-" + f).addEventListener("change", () => {
        const features = FEATURES.filter((g) => $("feature-" + g).checked);
        if (!features.length) {  // at least one input
          $("feature-" + f).checked = true;
          return;
        }
        sendConfig({features});
      });
    }
    $("add-layer").addEventListener("click", () => {
      const cfg = state.config;
      if (!cfg || cfg.hidden.length >= MAX_HIDDEN_LAYERS) return;
      const acts = cfg.activation.slice();
      acts.push(acts.length ? acts[acts.length - 1] : "tanh");
      sendConfig({hidden: cfg.hidden.concat([cfg.hidden.length ? cfg.hidden[cfg.hidden.length - 1] : 4]),
                  activation: acts});
    });
    $("remove-layer").addEventListener("click", () => {
      const cfg = state.config;
      if (!cfg || !cfg.hidden.length) return;
      sendConfig({hidden: cfg.hidden.slice(0, -1), activation: cfg.activation.slice(0, -1)});
    });
    // per-layer buttons live inside #network and are rebuilt: one delegated listener
    $("network").addEventListener("click", (ev) => {
      const target = ev.target.closest("button[data-layer]");
      if (!target || !state.config) return;
      const k = Number(target.dataset.layer);
      const hidden = state.config.hidden.slice();
      if (target.classList.contains("add-neuron") && hidden[k] < MAX_UNITS) hidden[k] += 1;
      else if (target.classList.contains("remove-neuron") && hidden[k] > 1) hidden[k] -= 1;
      else return;
      sendConfig({hidden});
    });
    $("network").addEventListener("change", (ev) => {
      const target = ev.target;
      if (!target.matches("select.layer-activation") || !state.config) return;
      const activation = state.config.activation.slice();
      activation[Number(target.dataset.layer)] = target.value;
      sendConfig({activation});
    });

    $("play").addEventListener("click", guarded(async () => {
      const action = $("play").dataset.state === "playing" ? "pause" : "play";
      const answer = await api(sessionPath("control"), {action});
      setPlayState(answer.state);
    }));
    for (const action of ["step", "reset"]) {
      $(action).addEventListener("click", guarded(async () => {
        const answer = await api(sessionPath("control"), {action});
        setPlayState(answer.state);
      }));
    }
    $("export").addEventListener("click", () => {
      if (!state.sessionId) return;
      const link = el("a", {href: withToken(sessionPath("export")),
                            download: "playground.safetensors"});
      document.body.append(link);
      link.click();
      link.remove();
    });
    $("show-test").addEventListener("change", scheduleRender);
    $("discretize").addEventListener("change", scheduleRender);
    $("error-close").addEventListener("click", hideError);
    window.addEventListener("hashchange", () => {
      if (location.hash === state.lastHash) return;  // our own update
      const {config, rejected} = parseHash(location.hash);
      for (const r of rejected) showError(t("error.bad_hash", {key: r.key, value: r.value}));
      if (Object.keys(config).length) sendConfig(config);
    });
    window.addEventListener("resize", () => {
      buildNetwork();
      scheduleRender();
    });
  }

  // ------------------------------------------------------------------ own points, CSV
  function buildPointClass() {
    const setup = state.setup;
    const select = $("point-class");
    if (!setup) return;
    if (setup.kind === "regression") {
      fillSelect(select, [-1, -0.5, 0, 0.5, 1], String);
    } else {
      const k = setup.classes || 2;
      fillSelect(select, [...Array(k).keys()], (c) => t("lbl.class", {c}));
    }
  }

  function updatePending() {
    $("points-pending").textContent = String(state.pending.length);
    $("points-send").disabled = state.pending.length === 0;
  }

  function heatmapToData(ev) {
    const canvas = $("output-heatmap");
    const rect = canvas.getBoundingClientRect();
    const x1 = ((ev.clientX - rect.left) / rect.width) * 2 * DOMAIN - DOMAIN;
    const x2 = DOMAIN - ((ev.clientY - rect.top) / rect.height) * 2 * DOMAIN;
    return [Math.max(-DOMAIN, Math.min(DOMAIN, x1)), Math.max(-DOMAIN, Math.min(DOMAIN, x2))];
  }

  function bindPoints() {
    $("output-heatmap").addEventListener("click", (ev) => {
      if (!$("points-mode").checked) return;
      const [x1, x2] = heatmapToData(ev);
      let label = Number($("point-class").value);
      if (ev.shiftKey) label = 1;
      if (state.pending.length >= MAX_POINTS) return;
      state.pending.push([Math.round(x1 * 1000) / 1000, Math.round(x2 * 1000) / 1000, label]);
      updatePending();
      scheduleRender();
    });
    $("points-mode").addEventListener("change", () => {
      $("output-heatmap").classList.toggle("adding", $("points-mode").checked);
    });
    $("points-clear").addEventListener("click", () => {
      state.pending = [];
      updatePending();
      scheduleRender();
    });
    $("points-send").addEventListener("click", guarded(async () => {
      if (!state.pending.length) {
        showError(t("error.points_none"));
        return;
      }
      let points = state.pending.slice();
      if ($("points-keep").checked && state.setup) {
        const old = [];
        for (const part of [state.setup.train, state.setup.test]) {
          part.x.forEach((xy, i) => old.push([xy[0], xy[1], part.y[i]]));
        }
        points = old.concat(points).slice(-MAX_POINTS);
      }
      const answer = await api(sessionPath("points"), {points});
      state.pending = [];
      updatePending();
      state.config = answer.config;
      writeHash(answer.config);
      syncControls(answer.config);
    }));
    $("csv-upload").addEventListener("change", () => {
      const file = $("csv-upload").files[0];
      if (!file) return;
      if (file.size > MAX_CSV_BYTES) {
        showError(t("error.csv_size", {size: Math.ceil(file.size / 1024)}));
        $("csv-upload").value = "";
        return;
      }
      const reader = new FileReader();
      reader.onload = guarded(async () => {
        const answer = await api(sessionPath("points"), {csv: String(reader.result)});
        state.config = answer.config;
        writeHash(answer.config);
        syncControls(answer.config);
        $("csv-upload").value = "";
      });
      reader.onerror = () => showError(String(reader.error));
      reader.readAsText(file);
    });
  }

  // ------------------------------------------------------------------ output heat-map
  const gridCanvas = document.createElement("canvas");

  function pointColor(kind, label) {
    if (kind === "regression") {
      const i = Math.max(0, Math.min(255, Math.round((Math.max(-1, Math.min(1, label)) + 1) / 2 * 255)));
      return `rgb(${DIVERGING[i * 3]},${DIVERGING[i * 3 + 1]},${DIVERGING[i * 3 + 2]})`;
    }
    return PALETTE[((label | 0) % 8 + 8) % 8];
  }

  // Paint an n×n byte image into `target` (ImageData) with the page's colour rules.
  function paintOutput(image, output, kind, discretize) {
    const values = b64ToBytes(output.values);
    const conf = output.confidence ? b64ToBytes(output.confidence) : null;
    const data = image.data;
    const k = state.setup ? state.setup.classes || 2 : 2;
    for (let i = 0; i < values.length; i++) {
      let c;
      if (kind === "multiclass") {
        const base = PALETTE_RGB[values[i] % 8];
        const p = conf ? conf[i] / 255 : 1;
        // confidence 1/K (a coin toss) ↦ white, 1 ↦ the class colour
        const s = discretize ? 0.75 : 0.2 + 0.6 * Math.max(0, (p - 1 / k) / (1 - 1 / k));
        c = mix([255, 255, 255], base, s);
      } else {
        let v = values[i];
        if (discretize) v = v >= 128 ? 255 : 0;
        const j = v * 3;
        // lighter than the points drawn on it, so a point on its own class's side still shows
        c = mix([DIVERGING[j], DIVERGING[j + 1], DIVERGING[j + 2]], [255, 255, 255], 0.3);
      }
      data[i * 4] = c[0];
      data[i * 4 + 1] = c[1];
      data[i * 4 + 2] = c[2];
      data[i * 4 + 3] = 255;
    }
  }

  function fitCanvas(canvas) {
    // draw at device resolution so that the points stay crisp
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || canvas.width;
    const h = canvas.clientHeight || canvas.height;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    return {ctx, w, h};
  }

  // A chart's canvas, fitted and cleared to its light background.
  function blankChart(id) {
    const fitted = fitCanvas($(id));
    fitted.ctx.clearRect(0, 0, fitted.w, fitted.h);
    fitted.ctx.fillStyle = "#fafafa";
    fitted.ctx.fillRect(0, 0, fitted.w, fitted.h);
    return fitted;
  }

  function drawHeatmap() {
    const canvas = $("output-heatmap");
    const {ctx, w, h} = fitCanvas(canvas);
    ctx.clearRect(0, 0, w, h);
    const setup = state.setup;
    const frame = state.frame;
    if (frame && frame.output && setup) {
      const n = frame.output.size;
      gridCanvas.width = n;
      gridCanvas.height = n;
      const gctx = gridCanvas.getContext("2d");
      const image = gctx.createImageData(n, n);
      paintOutput(image, frame.output, setup.kind, $("discretize").checked);
      gctx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = !$("discretize").checked;
      ctx.drawImage(gridCanvas, 0, 0, w, h);
    } else {
      ctx.fillStyle = "#f4f5f6";
      ctx.fillRect(0, 0, w, h);
    }
    // axes ticks at -6, -3, 0, 3, 6
    ctx.strokeStyle = "rgba(0,0,0,0.12)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(w / 2, 0);
    ctx.lineTo(w / 2, h);
    ctx.moveTo(0, h / 2);
    ctx.lineTo(w, h / 2);
    ctx.stroke();
    if (!setup) return;
    const toPx = (xy) => [(xy[0] + DOMAIN) / (2 * DOMAIN) * w, (DOMAIN - xy[1]) / (2 * DOMAIN) * h];
    const r = Math.max(2.5, Math.min(4, w / 90));
    setup.train.x.forEach((xy, i) => {
      const [px, py] = toPx(xy);
      ctx.beginPath();
      ctx.arc(px, py, r, 0, 2 * Math.PI);
      ctx.fillStyle = pointColor(setup.kind, setup.train.y[i]);
      ctx.fill();
      ctx.strokeStyle = "rgba(255,255,255,0.95)";
      ctx.lineWidth = 1;
      ctx.stroke();
      ctx.beginPath();
      ctx.arc(px, py, r + 0.9, 0, 2 * Math.PI);
      ctx.strokeStyle = "rgba(0,0,0,0.28)";
      ctx.lineWidth = 0.7;
      ctx.stroke();
    });
    if ($("show-test").checked) {
      setup.test.x.forEach((xy, i) => {
        const [px, py] = toPx(xy);
        ctx.beginPath();
        ctx.arc(px, py, r, 0, 2 * Math.PI);
        ctx.strokeStyle = pointColor(setup.kind, setup.test.y[i]);
        ctx.lineWidth = 1.6;
        ctx.stroke();
      });
    }
    for (const p of state.pending) {  // the user's points not sent yet: dashed rings
      const [px, py] = toPx(p);
      ctx.beginPath();
      ctx.arc(px, py, r + 1.5, 0, 2 * Math.PI);
      ctx.fillStyle = pointColor(setup.kind, p[2]);
      ctx.fill();
      ctx.setLineDash([2, 2]);
      ctx.strokeStyle = "#222";
      ctx.lineWidth = 1.2;
      ctx.stroke();
      ctx.setLineDash([]);
    }
    // tick labels
    ctx.fillStyle = "rgba(0,0,0,0.45)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText("-6", 2, h / 2 - 3);
    ctx.fillText("6", w - 9, h / 2 - 3);
    ctx.fillText("6", w / 2 + 3, 10);
    ctx.fillText("-6", w / 2 + 3, h - 3);
  }

  function buildLegend() {
    const legend = $("heatmap-legend");
    const setup = state.setup;
    legend.replaceChildren();
    if (!setup) return;
    if (setup.kind === "regression" || setup.kind === "binary") {
      const bar = el("canvas", {class: "legend-bar", width: "128", height: "10"});
      const ctx = bar.getContext("2d");
      for (let i = 0; i < 128; i++) {
        const j = i * 2 * 3;
        ctx.fillStyle = `rgb(${DIVERGING[j]},${DIVERGING[j + 1]},${DIVERGING[j + 2]})`;
        ctx.fillRect(i, 0, 1, 10);
      }
      const lo = setup.kind === "regression" ? "−1" : t("lbl.class", {c: 0});
      const hi = setup.kind === "regression" ? "+1" : t("lbl.class", {c: 1});
      legend.append(el("span", {text: lo}), bar, el("span", {text: hi}));
    } else {
      for (let c = 0; c < setup.classes; c++) {
        legend.append(el("span", {class: "legend-class"}, [
          el("span", {class: "swatch", style: `background:${PALETTE[c % 8]}`}),
          document.createTextNode(String(c)),
        ]));
      }
    }
  }

  // ------------------------------------------------------------------ loss chart
  function drawLossChart() {
    const {ctx, w, h} = blankChart("loss-chart");
    const hist = state.history;
    const n = hist.train.length;
    if (n < 1) return;
    let max = 0;
    for (const arr of [hist.train, hist.test]) {
      for (const v of arr) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
    }
    if (max <= 0) max = 1;
    const pad = 4;
    const xOf = (i) => pad + (n === 1 ? 0 : (i / (n - 1)) * (w - 2 * pad));
    const yOf = (v) => h - pad - (v / max) * (h - 2 * pad);
    const line = (arr, colour, width) => {
      ctx.beginPath();
      let started = false;
      arr.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) return;
        if (!started) ctx.moveTo(xOf(i), yOf(v));
        else ctx.lineTo(xOf(i), yOf(v));
        started = true;
      });
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.stroke();
    };
    line(hist.test, "#222", 1.5);
    line(hist.train, "#888", 1.5);
    ctx.fillStyle = "rgba(0,0,0,0.5)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(fmt(max), 3, 11);
  }

  // ------------------------------------------------------------------ network view
  // Layout: one column per layer (features, hidden…, output); a node is a thumbnail canvas.
  function buildNetwork() {
    const host = $("network");
    const setup = state.setup;
    host.replaceChildren();
    state.layout = null;
    if (!setup) return;
    const layers = setup.layers;
    const maxUnits = Math.max(...layers);
    const headH = setup.config.mode === "perceptron" ? 28 : 64;
    // each column spaces its own units: a narrow layer keeps big thumbnails beside a wide one
    const bodyH = maxUnits <= 6 ? 58 * maxUnits : Math.max(420, maxUnits * 16);
    const spacing = layers.map((count) => Math.min(58, bodyH / count));
    // the gap between thumbnails shrinks with the spacing (a quarter of it, 3…14 px)
    const size = spacing.map((sp) => Math.max(10, Math.min(42,
                                                          sp - Math.max(3, Math.min(14, sp / 4)))));
    const biggest = Math.max(...size);
    const width = Math.max(host.clientWidth || 600, 300);
    const height = headH + bodyH + 16;
    const left = 62 + biggest / 2;
    const right = 30 + biggest / 2;
    const colX = layers.map((_, k) => layers.length === 1 ? left   // column centres
      : left + (k / (layers.length - 1)) * (width - left - right));
    const top = headH;
    const unitY = layers.map((count, k) => {
      const offset = (bodyH - count * spacing[k]) / 2;
      return [...Array(count).keys()].map((i) => top + offset + (i + 0.5) * spacing[k]);
    });
    host.style.height = height + "px";
    const svg = svgEl("svg", {width: String(width), height: String(height), class: "edges"});
    host.append(svg);
    const edges = [];
    const hit = [];
    const totalEdges = layers.slice(1).reduce((s, n, k) => s + n * layers[k], 0);
    const withHit = totalEdges <= 3000;  // wide invisible paths make thin edges hoverable
    for (let k = 0; k + 1 < layers.length; k++) {
      const x0 = colX[k] + size[k] / 2;
      const x1 = colX[k + 1] - size[k + 1] / 2;
      const xm = (x0 + x1) / 2;
      for (let i = 0; i < layers[k + 1]; i++) {
        for (let j = 0; j < layers[k]; j++) {
          const y0 = unitY[k][j];
          const y1 = unitY[k + 1][i];
          const d = `M${x0},${y0} C${xm},${y0} ${xm},${y1} ${x1},${y1}`;
          const path = svgEl("path", {d, class: "edge", "data-layer": k, "data-to": i,
                                      "data-from": j});
          svg.append(path);
          edges.push(path);
          if (withHit) {
            const h = svgEl("path", {d, class: "edge-hit", "data-layer": k, "data-to": i,
                                     "data-from": j});
            hit.push(h);
          }
        }
      }
    }
    for (const h of hit) svg.append(h);
    const nodes = [];
    layers.forEach((count, k) => {
      const col = [];
      for (let i = 0; i < count; i++) {
        const div = el("div", {class: "node", "data-layer": String(k), "data-unit": String(i)});
        const node = size[k];
        div.style.left = (colX[k] - node / 2) + "px";
        div.style.top = (unitY[k][i] - node / 2) + "px";
        div.style.width = node + "px";
        div.style.height = node + "px";
        const thumb = el("canvas", {width: String(setup.thumb || 20),
                                    height: String(setup.thumb || 20)});
        div.append(thumb);
        if (k > 0) {  // a bias dot, clickable like an edge (from = -1)
          const bias = el("span", {class: "bias", "data-layer": String(k - 1),
                                   "data-to": String(i), "data-from": "-1"});
          div.append(bias);
        }
        if (k === 0) {
          const name = setup.features[i];
          div.append(el("span", {class: "node-label", text: FEATURE_LABELS[name] || name}));
        }
        host.append(div);
        col.push(div);
      }
      nodes.push(col);
    });
    // column headers: hidden layers get +/− and an activation select. Narrow columns (many
    // layers) get a compact header: the unit count alone and short activation names, the full
    // text in the tooltip, so that ten layers stay readable side by side.
    const perceptron = setup.config.mode === "perceptron";
    const hiddenCount = layers.length - 2;
    const gap = layers.length > 1 ? (colX[1] - colX[0]) : 200;
    const compact = gap < 84;
    const narrow = gap < 58;   // no room for the select's arrow either
    for (let k = 0; k < layers.length; k++) {
      const head = el("div", {class: "layer-head" + (compact ? " compact" : "")
                                     + (narrow ? " narrow" : "")});
      head.style.left = colX[k] + "px";
      if (k >= 1 && k <= hiddenCount && !perceptron) {
        const h = k - 1;
        const buttons = el("div", {class: "neuron-buttons"}, [
          el("button", {class: "add-neuron round tiny", "data-layer": String(h),
                        title: t("ctl.add_neuron"), text: "+"}),
          el("button", {class: "remove-neuron round tiny", "data-layer": String(h),
                        title: t("ctl.remove_neuron"), text: "−"}),
        ]);
        const act = (setup.config.activation || [])[h] || "tanh";
        const select = el("select", {class: "layer-activation", "data-layer": String(h)});
        for (const a of ACTIVATIONS) {
          select.append(el("option", {value: a, text: t((compact ? "act_short." : "act.") + a),
                                      title: t("act." + a)}));
        }
        select.value = act;
        // the selects of neighbouring columns must not overlap
        select.style.maxWidth = Math.max(30, Math.min(96, gap - 4)) + "px";
        const units = layers[k];
        const unitsText = units === 1 ? t("lbl.unit_one") : t("lbl.units", {n: units});
        const full = t("lbl.layer_head", {k: k, units: unitsText, act: t("act." + act)});
        select.title = full;
        head.title = full;
        head.append(buttons, el("div", {class: "layer-units",
                                        text: compact ? String(units) : unitsText}), select);
      } else if (k === layers.length - 1) {
        head.append(el("div", {class: "layer-units", text: t("lbl.output")}));
      }
      host.append(head);
    }
    state.layout = {edges, nodes, layers};
  }

  function weightValue(frame, layer, to, from) {
    const wl = frame.weights && frame.weights[layer];
    if (!wl) return null;
    if (!wl._w) {  // decode once per frame and layer
      wl._w = b64ToFloat32(wl.w);
      wl._b = b64ToFloat32(wl.b);
    }
    if (from < 0) return wl._b[to];
    return wl._w[to * wl.shape[1] + from];
  }

  function updateNetwork(frame) {
    const layout = state.layout;
    if (!layout) return;
    // thumbnails
    const neurons = frame.neurons || [];
    layout.nodes.forEach((col, k) => {
      const imgs = neurons[k] || [];
      col.forEach((div, i) => {
        const canvas = div.firstChild;
        const bytes = imgs[i] ? b64ToBytes(imgs[i]) : null;
        if (!bytes) return;
        const side = canvas.width;
        if (bytes.length !== side * side) return;
        const ctx = canvas.getContext("2d");
        const image = ctx.createImageData(side, side);
        for (let p = 0; p < bytes.length; p++) {
          const j = bytes[p] * 3;
          image.data[p * 4] = DIVERGING[j];
          image.data[p * 4 + 1] = DIVERGING[j + 1];
          image.data[p * 4 + 2] = DIVERGING[j + 2];
          image.data[p * 4 + 3] = 255;
        }
        ctx.putImageData(image, 0, 0);
      });
    });
    // dead ReLU marks (hidden layer h is column h + 1)
    const dead = frame.dead || [];
    layout.nodes.forEach((col, k) => {
      const set = new Set(k >= 1 ? dead[k - 1] || [] : []);
      col.forEach((div, i) => div.classList.toggle("dead", set.has(i)));
    });
    // edges: width ∝ |w|, colour by sign
    for (const path of layout.edges) {
      const w = weightValue(frame, Number(path.dataset.layer), Number(path.dataset.to),
                            Number(path.dataset.from));
      if (w === null || w === undefined) continue;
      if (Number.isNaN(w)) {  // a diverged run: a thin grey dashed line, no sign, no size
        path.style.stroke = "#999";
        path.style.strokeWidth = "1";
        path.style.strokeOpacity = "0.6";
        path.style.strokeDasharray = "3 3";
        continue;
      }
      const a = Math.abs(w);  // ±inf draws at the widest
      // inline style: it beats the stylesheet's neutral default (presentation attributes do not)
      path.style.stroke = w >= 0 ? "#0877bd" : "#f59322";
      path.style.strokeWidth = Math.min(6, 0.4 + 1.6 * a).toFixed(2);
      path.style.strokeOpacity = Math.min(1, 0.3 + 0.6 * a).toFixed(2);
      path.style.strokeDasharray = "";
    }
    // bias dots coloured by sign
    for (const dot of $("network").querySelectorAll(".bias")) {
      const b = weightValue(frame, Number(dot.dataset.layer), Number(dot.dataset.to), -1);
      if (b === null || b === undefined) continue;
      dot.style.background = Number.isNaN(b) ? "#999" : b >= 0 ? "#0877bd" : "#f59322";
    }
    if (state.weightSel && !$("weight-card").hidden) refreshWeightCard();
  }

  // ------------------------------------------------------------------ weight card
  function weightName(sel) {
    return sel.from < 0 ? `b${sel.layer + 1}[${sel.to}]` : `W${sel.layer + 1}[${sel.to},${sel.from}]`;
  }

  function openWeightCard(sel, ev, pin) {
    const card = $("weight-card");
    state.weightSel = sel;
    state.pinned = pin;
    card.classList.toggle("pinned", pin);
    card.hidden = false;
    const page = $("page-playground").getBoundingClientRect();
    let x = ev.clientX;
    let y = ev.clientY;
    if (!x && !y && ev.target && ev.target.getBoundingClientRect) {
      // a synthetic click (keyboard, test driver) has no pointer position: use the target's
      const rect = ev.target.getBoundingClientRect();
      x = rect.left + rect.width / 2;
      y = rect.top + rect.height / 2;
    }
    card.style.left = Math.max(0, Math.min(x - page.left + 14, page.width - 240)) + "px";
    card.style.top = (y - page.top + 14) + "px";
    refreshWeightCard();
    if (pin) {
      const v = state.frame ? weightValue(state.frame, sel.layer, sel.to, sel.from) : null;
      // a number box shows "" for NaN (setting "NaN" would only warn in the console)
      $("weight-value").value = v === null || v === undefined || !Number.isFinite(v) ? ""
        : String(Math.round(v * 1e4) / 1e4);
    }
  }

  function refreshWeightCard() {
    const sel = state.weightSel;
    const card = $("weight-card");
    const label = sel.from < 0 ? t("lbl.bias") : t("lbl.weight");
    card.querySelector(".wc-title").textContent = `${label} ${weightName(sel)}`;
    const v = state.frame ? weightValue(state.frame, sel.layer, sel.to, sel.from) : null;
    card.querySelector(".wc-number").textContent = fmt(v, 4);
  }

  function closeWeightCard() {
    $("weight-card").hidden = true;
    state.pinned = false;
  }

  function selFrom(target) {
    return {layer: Number(target.dataset.layer), to: Number(target.dataset.to),
            from: Number(target.dataset.from)};
  }

  function bindWeightCard() {
    const host = $("network");
    host.addEventListener("mouseover", (ev) => {
      const target = ev.target.closest(".edge, .edge-hit, .bias");
      if (!target || state.pinned) return;
      openWeightCard(selFrom(target), ev, false);
    });
    host.addEventListener("mouseout", (ev) => {
      const target = ev.target.closest(".edge, .edge-hit, .bias");
      if (target && !state.pinned) closeWeightCard();
    });
    host.addEventListener("click", (ev) => {
      const target = ev.target.closest(".edge, .edge-hit, .bias");
      if (!target) return;
      openWeightCard(selFrom(target), ev, true);
    });
    $("weight-close").addEventListener("click", closeWeightCard);
    document.addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") closeWeightCard();
    });
    $("weight-apply").addEventListener("click", guarded(async () => {
      const sel = state.weightSel;
      const value = Number($("weight-value").value);
      if (!sel || $("weight-value").value === "" || !Number.isFinite(value)) return;
      await api(sessionPath("weight"), {layer: sel.layer, to: sel.to, from: sel.from, value});
    }));
    $("backprop-button").addEventListener("click", guarded(async () => {
      const sel = state.weightSel;
      if (!sel) return;
      const body = {layer: sel.layer, to: sel.to, from: sel.from};
      const sample = $("backprop-sample").value;
      if (sample !== "") body.sample = Number(sample);
      const view = await api(sessionPath("backprop"), body);
      setPlayState("paused");
      showBackprop(view, sel, body.sample ?? view.sample ?? 0);
    }));
  }

  // ------------------------------------------------------------------ backprop step view (S16)
  function showBackprop(view, sel, sample) {
    const box = $("backprop-view");
    box.replaceChildren();
    box.hidden = false;
    box.append(el("div", {class: "bp-title", text: t("bp.title", {
      name: weightName(sel), value: fmt(view.weight, 4), sample})}));
    box.append(el("div", {class: "bp-sub", text: t("bp.path")}));
    const row = el("div", {class: "bp-factors"});
    (view.path || []).forEach((f, i) => {
      if (i > 0) row.append(el("span", {class: "bp-times", text: "×"}));
      row.append(el("span", {class: "bp-factor"}, [
        el("span", {class: "bp-symbol", text: f.symbol}),
        el("span", {class: "bp-value", text: fmtPrecise(f.value)}),
      ]));
    });
    row.append(el("span", {class: "bp-times", text: "="}));
    row.append(el("span", {class: "bp-factor bp-result"}, [
      el("span", {class: "bp-symbol", text: t("bp.product")}),
      el("span", {class: "bp-value bp-product", text: fmtPrecise(view.path_product)}),
    ]));
    box.append(row);
    const table = el("table", {class: "bp-totals"});
    const addRow = (label, value, cls) => table.append(el("tr", {class: cls || ""}, [
      el("th", {text: label}), el("td", {text: value})]));
    if (view.sum_of_paths === null || view.sum_of_paths === undefined) {
      addRow(t("bp.sum_skipped", {n: view.paths}), "–", "bp-sum");
    } else {
      addRow(t("bp.sum", {n: view.paths}), fmtPrecise(view.sum_of_paths), "bp-sum");
    }
    addRow(t("bp.gradient"), fmtPrecise(view.gradient), "bp-gradient");
    if (view.autograd !== undefined && view.autograd !== null) {
      addRow(t("bp.autograd"), fmtPrecise(view.autograd), "bp-autograd");
      // autograd runs on a float64 copy of the network, as this view: they agree to rounding
      const scale = Math.max(Math.abs(view.autograd), Math.abs(view.gradient), 1e-30);
      const rel = Math.abs(view.autograd - view.gradient) / scale;
      if (Number.isFinite(rel)) addRow(t("bp.rel_diff"), rel.toExponential(1), "bp-diff");
    }
    if (view.loss !== undefined) addRow(t("bp.loss"), fmt(view.loss, 4), "bp-loss");
    box.append(table);
    box.append(el("div", {class: "hint", text: "S16 · " + t("bp.paused")}));
    state.lastBackprop = {view, sel, sample};
  }

  // ------------------------------------------------------------------ gradient bars (S17/S18)
  function drawGradBars(frame) {
    const host = $("grad-bars");
    const norms = frame.grad_norms || [];
    if (host.children.length !== norms.length) {
      host.replaceChildren(...norms.map((_, k) => el("div", {class: "grad-row"}, [
        el("span", {class: "grad-label", text: `W${k + 1}`}),
        el("div", {class: "grad-track"}, [el("div", {class: "grad-bar", "data-layer": String(k)})]),
        el("span", {class: "grad-value"}),
      ])));
    }
    const max = Math.max(0, ...norms.filter(Number.isFinite));
    norms.forEach((v, k) => {
      const row = host.children[k];
      const bar = row.querySelector(".grad-bar");
      bar.dataset.norm = String(v);
      const share = max > 0 && Number.isFinite(v) ? v / max : 0;
      bar.style.width = (share * 100).toFixed(2) + "%";
      bar.style.opacity = String(0.25 + 0.75 * share);
      row.querySelector(".grad-value").textContent = fmt(v, 4);
    });
  }

  // ------------------------------------------------------------------ confusion matrix
  function drawConfusion(frame) {
    const table = $("confusion");
    const m = frame.confusion;
    table.replaceChildren();
    $("confusion-note").hidden = Boolean(m) || !state.setup || state.setup.kind !== "regression";
    if (!m) return;
    const k = m.length;
    const head = el("tr", {}, [el("th", {text: ""})]);
    for (let c = 0; c < k; c++) {
      head.append(el("th", {}, [el("span", {class: "swatch", style: `background:${PALETTE[c % 8]}`}),
                                document.createTextNode(String(c))]));
    }
    table.append(head);
    let max = 1;
    for (const row of m) for (const v of row) max = Math.max(max, v);
    m.forEach((row, i) => {
      const tr = el("tr", {}, [el("th", {}, [
        el("span", {class: "swatch", style: `background:${PALETTE[i % 8]}`}),
        document.createTextNode(String(i))])]);
      row.forEach((v, j) => {
        const alpha = 0.08 + 0.8 * (v / max);
        const colour = i === j ? `rgba(8,119,189,${alpha})` : `rgba(214,39,40,${v ? alpha : 0})`;
        tr.append(el("td", {text: String(v), style: `background:${colour}`,
                            "data-true": String(i), "data-pred": String(j)}));
      });
      table.append(tr);
    });
  }

  // ------------------------------------------------------------------ hidden-layer view (S15)
  function buildHiddenSelects() {
    const setup = state.setup;
    const hidden = setup ? setup.layers.slice(1, -1) : [];
    const cfgView = (setup && setup.config.view) || {layer: 0, a: 0, b: 1};
    const disabled = !hidden.length;
    for (const id of ["hidden-layer", "hidden-a", "hidden-b"]) $(id).disabled = disabled;
    if (disabled) {
      for (const id of ["hidden-layer", "hidden-a", "hidden-b"]) $(id).replaceChildren();
      return;
    }
    const layer = Math.min(cfgView.layer, hidden.length - 1);
    fillSelect($("hidden-layer"), [...hidden.keys()], (k) => String(k + 1));
    $("hidden-layer").value = String(layer);
    const width = hidden[layer];
    fillSelect($("hidden-a"), [...Array(width).keys()], String);
    fillSelect($("hidden-b"), [...Array(width).keys()], String);
    $("hidden-a").value = String(Math.min(cfgView.a, width - 1));
    $("hidden-b").value = String(Math.min(cfgView.b, width - 1));
  }

  function bindHiddenView() {
    const send = (changed) => {
      const setup = state.setup;
      if (!setup) return;
      const hidden = setup.layers.slice(1, -1);
      const layer = Number($("hidden-layer").value);
      const width = hidden[layer];
      let a = Math.min(Number($("hidden-a").value), width - 1);
      let b = Math.min(Number($("hidden-b").value), width - 1);
      if (changed === "layer") {
        a = 0;
        b = width > 1 ? 1 : 0;
      }
      if (a === b && width > 1) {  // two different units make a plane
        if (changed === "a") b = (a + 1) % width;
        else a = (b + 1) % width;
      }
      fillSelect($("hidden-a"), [...Array(width).keys()], String);
      fillSelect($("hidden-b"), [...Array(width).keys()], String);
      $("hidden-a").value = String(a);
      $("hidden-b").value = String(b);
      sendConfig({view: {layer, a, b}});
    };
    $("hidden-layer").addEventListener("change", () => send("layer"));
    $("hidden-a").addEventListener("change", () => send("a"));
    $("hidden-b").addEventListener("change", () => send("b"));
  }

  function drawHiddenView(frame) {
    const {ctx, w, h} = blankChart("hidden-view");
    const view = frame.hidden_view;
    const setup = state.setup;
    if (!view || !setup) {
      ctx.fillStyle = "#888";
      ctx.font = "12px system-ui, sans-serif";
      ctx.fillText(setup && setup.layers.length > 2 ? "…" : t("hint.no_hidden"), 8, h / 2);
      return;
    }
    const pts = b64ToFloat32(view.points);
    const lines = b64ToFloat32(view.lines);
    let lo0 = Infinity, hi0 = -Infinity, lo1 = Infinity, hi1 = -Infinity;
    const grow = (arr) => {
      for (let i = 0; i + 1 < arr.length; i += 2) {
        const a = arr[i], b = arr[i + 1];
        if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
        if (a < lo0) lo0 = a;
        if (a > hi0) hi0 = a;
        if (b < lo1) lo1 = b;
        if (b > hi1) hi1 = b;
      }
    };
    grow(pts);
    grow(lines);
    if (!Number.isFinite(lo0)) return;
    const span0 = Math.max(hi0 - lo0, 1e-6), span1 = Math.max(hi1 - lo1, 1e-6);
    const pad = 10;
    const X = (v) => pad + (v - lo0) / span0 * (w - 2 * pad);
    const Y = (v) => h - pad - (v - lo1) / span1 * (h - 2 * pad);
    const count = view.line_count, samples = view.line_samples;
    for (let l = 0; l < count; l++) {
      ctx.beginPath();
      for (let s = 0; s < samples; s++) {
        const o = (l * samples + s) * 2;
        const x = X(lines[o]), y = Y(lines[o + 1]);
        if (s === 0) ctx.moveTo(x, y);
        else ctx.lineTo(x, y);
      }
      // lines x1 = c first, then x2 = c
      ctx.strokeStyle = l < count / 2 ? "rgba(120,120,160,0.45)" : "rgba(160,120,120,0.45)";
      ctx.lineWidth = 1;
      ctx.stroke();
    }
    const labels = setup.train.y.concat(setup.test.y);
    const nTrain = setup.train.y.length;
    const showTest = $("show-test").checked;
    for (let i = 0; i < pts.length / 2 && i < labels.length; i++) {
      if (i >= nTrain && !showTest) break;
      ctx.beginPath();
      ctx.arc(X(pts[2 * i]), Y(pts[2 * i + 1]), 2.5, 0, 2 * Math.PI);
      const colour = pointColor(setup.kind, labels[i]);
      if (i < nTrain) {
        ctx.fillStyle = colour;
        ctx.fill();
      } else {
        ctx.strokeStyle = colour;
        ctx.stroke();
      }
    }
    ctx.fillStyle = "rgba(0,0,0,0.5)";
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillText(`a${view.a} →`, w - 34, h - 2);
    ctx.fillText(`↑ b${view.b}`, 2, 10);
  }

  // ------------------------------------------------------------------ tabs, language
  function bindTabs() {
    const show = (name) => {
      $("page-playground").hidden = name !== "playground";
      $("page-digits").hidden = name !== "digits";
      $("tab-playground").classList.toggle("active", name === "playground");
      $("tab-digits").classList.toggle("active", name === "digits");
      if (name === "playground") {
        buildNetwork();
        scheduleRender();
      }
    };
    $("tab-playground").addEventListener("click", () => show("playground"));
    $("tab-digits").addEventListener("click", () => show("digits"));
  }

  function setLanguage(lang, persist) {
    I18N.lang = lang === "ko" ? "ko" : "en";
    I18N.apply(document);
    $("lang-toggle").textContent = t("lang.toggle");
    if (persist) {  // a toggled language survives a reload (?lang= wins over the server's)
      const search = new URLSearchParams(location.search);
      search.set("lang", I18N.lang);
      history.replaceState(null, "", location.pathname + "?" + search.toString() + location.hash);
    }
    // strings built by the script
    if (state.config) syncControls(state.config);
    buildNetwork();
    buildPointClass();
    buildLegend();
    if (state.lastBackprop) {
      const {view, sel, sample} = state.lastBackprop;
      showBackprop(view, sel, sample);
    }
    updateDigitStatus();
    scheduleRender();
  }

  // ------------------------------------------------------------------ digits tab
  function digitCtx() {
    return $("digit-canvas").getContext("2d");
  }

  function clearDigit() {
    const ctx = digitCtx();
    ctx.fillStyle = "black";
    ctx.fillRect(0, 0, 280, 280);
    state.digitInk = false;
    $("digit-prediction").textContent = "";  // empty until the model answers (CSS shows "?")
    $("digit-probs").replaceChildren();
    const input = $("digit-input").getContext("2d");
    input.fillStyle = "black";
    input.fillRect(0, 0, 140, 140);
  }

  function updateDigitStatus() {
    const d = state.digits;
    const node = $("digit-status");
    if (state.digitsTraining) node.textContent = t("digit.training");
    else if (!d || !d.ready) node.textContent = t("digit.untrained");
    else if (d.accuracy !== undefined && d.accuracy !== null) {
      node.textContent = t("digit.ready", {source: d.source, side: d.side,
                                            acc: (d.accuracy * 100).toFixed(1) + "%"});
    } else node.textContent = t("digit.ready_noacc", {source: d.source, side: d.side});
  }

  function showDigitResult(result) {
    const side = result.side;
    const bytes = b64ToBytes(result.input);
    const small = document.createElement("canvas");
    small.width = side;
    small.height = side;
    const sctx = small.getContext("2d");
    const image = sctx.createImageData(side, side);
    for (let i = 0; i < side * side && i < bytes.length; i++) {
      image.data[i * 4] = image.data[i * 4 + 1] = image.data[i * 4 + 2] = bytes[i];
      image.data[i * 4 + 3] = 255;
    }
    sctx.putImageData(image, 0, 0);
    const input = $("digit-input");
    const ictx = input.getContext("2d");
    ictx.imageSmoothingEnabled = false;  // show the model's pixels as pixels
    ictx.drawImage(small, 0, 0, input.width, input.height);
    const probs = result.probabilities;
    const classes = result.classes;
    let best = 0;
    probs.forEach((p, i) => { if (p > probs[best]) best = i; });
    $("digit-prediction").textContent = String(classes[best]);
    $("digit-probs").replaceChildren(...probs.map((p, c) => el("div", {
      class: "prob" + (c === best ? " best" : ""), "data-class": String(c), "data-p": String(p),
    }, [
      el("span", {class: "prob-label", text: String(classes[c])}),
      el("span", {class: "prob-track"}, [el("span", {class: "prob-fill",
                                                      style: `width:${(p * 100).toFixed(1)}%`})]),
      el("span", {class: "prob-value", text: (p * 100).toFixed(1) + "%"}),
    ])));
  }

  const predictDigit = guarded(async () => {
    if (!state.digitInk) return;
    if (!state.digits || !state.digits.ready) {
      updateDigitStatus();
      return;
    }
    const small = document.createElement("canvas");
    small.width = DIGIT_SIDE_SENT;
    small.height = DIGIT_SIDE_SENT;
    const sctx = small.getContext("2d");
    sctx.imageSmoothingEnabled = true;
    sctx.imageSmoothingQuality = "high";
    sctx.drawImage($("digit-canvas"), 0, 0, DIGIT_SIDE_SENT, DIGIT_SIDE_SENT);
    const rgba = sctx.getImageData(0, 0, DIGIT_SIDE_SENT, DIGIT_SIDE_SENT).data;
    const gray = new Uint8Array(DIGIT_SIDE_SENT * DIGIT_SIDE_SENT);
    for (let i = 0; i < gray.length; i++) gray[i] = rgba[i * 4];  // white ink: R = G = B
    const result = await api("/api/digits/predict", {
      width: DIGIT_SIDE_SENT, height: DIGIT_SIDE_SENT, pixels: bytesToB64(gray)});
    showDigitResult(result);
  });

  function bindDigits() {
    const canvas = $("digit-canvas");
    let drawing = false;
    let last = null;
    const pos = (ev) => {
      const rect = canvas.getBoundingClientRect();
      return [(ev.clientX - rect.left) * 280 / rect.width, (ev.clientY - rect.top) * 280 / rect.height];
    };
    canvas.addEventListener("pointerdown", (ev) => {
      drawing = true;
      canvas.setPointerCapture(ev.pointerId);
      last = pos(ev);
      const ctx = digitCtx();
      ctx.fillStyle = "white";
      ctx.beginPath();
      ctx.arc(last[0], last[1], 10, 0, 2 * Math.PI);
      ctx.fill();
      state.digitInk = true;
      ev.preventDefault();
    });
    canvas.addEventListener("pointermove", (ev) => {
      if (!drawing) return;
      const p = pos(ev);
      const ctx = digitCtx();
      ctx.strokeStyle = "white";
      ctx.lineWidth = 20;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.beginPath();
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      last = p;
    });
    const end = () => {
      if (!drawing) return;
      drawing = false;
      predictDigit();
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    $("digit-clear").addEventListener("click", clearDigit);
    $("digit-train").addEventListener("click", guarded(async () => {
      const button = $("digit-train");
      button.disabled = true;
      state.digitsTraining = true;
      updateDigitStatus();
      try {
        state.digits = await api("/api/digits/train", {});
      } finally {
        state.digitsTraining = false;
        button.disabled = false;
        updateDigitStatus();
      }
      predictDigit();
    }));
    clearDigit();
  }

  // ------------------------------------------------------------------ start
  async function main() {
    bindControls();
    bindPoints();
    bindWeightCard();
    bindHiddenView();
    bindTabs();
    bindDigits();
    updatePending();
    $("lang-toggle").addEventListener("click", () => setLanguage(I18N.lang === "ko" ? "en" : "ko", true));
    window.addEventListener("pagehide", closeSession);
    const urlLang = params.get("lang");
    setLanguage(urlLang === "ko" || urlLang === "en" ? urlLang : "en");
    if (!token) showError(t("error.no_token"));
    try {
      const info = await api("/api/info");
      state.info = info;
      state.digits = info.digits;
      if (!urlLang && info.lang) setLanguage(info.lang);
      updateDigitStatus();
    } catch (err) {
      showError(err.message);
    }
    await guarded(startSession)();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})();
