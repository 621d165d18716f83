// Shared front-end code of the vae_teach widgets (plain JavaScript, no build step, nothing
// fetched at run time). Python concatenates this file in front of each widget's own module,
// so every widget is one ES module: `base.js + <widget>.js`, ending `export default { render }`.
//
// One shape for every widget:
//   controls  built from the Python spec (`spec.controls`): labelled sliders, radio buttons,
//             number boxes and buttons, each keyboard-operable;
//   state     `values` (one entry per control), shared with the kernel through the model;
//   render    the widget's `draw(values)`: in the browser wherever the picture is a function
//             of the controls, so a slider move redraws at once and never waits for the kernel;
//   layout    a root <div class="vae-widget"> whose `data-frame` counts the redraws.

// -------------------------------------------------------------------------- model access

/** A binary trait (DataView, ArrayBuffer or typed array) as a fresh, aligned ArrayBuffer. */
function toArrayBuffer(data) {
  if (!data) return new ArrayBuffer(0);
  if (data instanceof ArrayBuffer) return data.slice(0);
  const view = data.buffer instanceof ArrayBuffer ? data : new Uint8Array(data);
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

/** A float32 binary trait as a Float32Array. */
function float32Trait(model, name) {
  return new Float32Array(toArrayBuffer(model.get(name)));
}

/** A uint8 binary trait as a Uint8Array. */
function uint8Trait(model, name) {
  return new Uint8Array(toArrayBuffer(model.get(name)));
}

/**
 * Send `values` to the kernel at most every `interval` ms while a control moves, and once more
 * when it stops (the last value always arrives). The picture is drawn before this is called.
 */
function kernelSync(model, interval = 100) {
  let timer = null;
  let last = 0;
  const send = () => {
    timer = null;
    last = performance.now();
    model.save_changes();
  };
  return (values) => {
    model.set("values", { ...values });
    const wait = interval - (performance.now() - last);
    if (timer === null) timer = setTimeout(send, Math.max(0, wait));
  };
}

// -------------------------------------------------------------------------- controls

/** An element with a class, attributes and children. */
function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

/** Decimals shown for a step: 0.1 -> 1, 0.05 -> 2, 1 -> 0. */
function decimalsOf(step) {
  return Math.max(0, Math.min(6, Math.ceil(-Math.log10(step) - 1e-9)));
}

/** Format a value as the control's readout: "+1.25" for signed sliders, "7" for integers. */
function formatValue(spec, value) {
  const text = Number(value).toFixed(decimalsOf(spec.step));
  return spec.signed && value >= 0 ? `+${text}` : text;
}

/** A labelled range slider; `onInput(value)` runs on every move (keyboard, mouse, touch). */
function sliderControl(spec, value, onInput) {
  const id = `vae-${Math.random().toString(36).slice(2)}`;
  const input = el("input", {
    type: "range",
    id,
    min: spec.min,
    max: spec.max,
    step: spec.step,
    "aria-label": spec.aria_label || spec.label,
  });
  input.value = value;
  const readout = el("output", { class: "vae-readout", for: id, text: formatValue(spec, value) });
  const label = el("label", { class: "vae-label", for: id, text: spec.label });
  input.addEventListener("input", () => onInput(Number(input.value)));
  const set = (v) => {
    input.value = v;
    // the value itself (a code from the encoder may lie between two steps of the slider)
    readout.textContent = formatValue(spec, Number(v));
    input.setAttribute("aria-valuetext", readout.textContent);
  };
  set(value);
  // a new text for the label, e.g. another model's KL for this latent (traversal)
  const setLabel = (text) => (label.textContent = text);
  const node = el("div", { class: "vae-control vae-slider" }, [label, input, readout]);
  return { node, set, setLabel };
}

/** Radio buttons (one choice of spec.options); arrow keys move the choice, as in a radio group. */
function choiceControl(spec, value, onInput) {
  const group = el("div", { role: "radiogroup", "aria-label": spec.label, class: "vae-choices" });
  const buttons = spec.options.map((option) => {
    const button = el("button", { type: "button", role: "radio", text: String(option) });
    button.addEventListener("click", () => onInput(option));
    group.append(button);
    return button;
  });
  group.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    const current = buttons.findIndex((b) => b.getAttribute("aria-checked") === "true");
    const next = (current + step + buttons.length) % buttons.length;
    buttons[next].focus();
    onInput(spec.options[next]);
  });
  const set = (v) => {
    buttons.forEach((button, i) => {
      const checked = spec.options[i] === v;
      button.setAttribute("aria-checked", String(checked));
      button.tabIndex = checked ? 0 : -1; // one tab stop for the group
    });
  };
  set(value);
  const label = el("span", { class: "vae-label", text: spec.label });
  return { node: el("div", { class: "vae-control" }, [label, group]), set };
}

/** A labelled whole-number box (min..max); Enter or leaving the box applies it. */
function numberControl(spec, value, onInput) {
  const id = `vae-${Math.random().toString(36).slice(2)}`;
  const input = el("input", {
    type: "number",
    id,
    min: spec.min,
    max: spec.max,
    step: 1,
    "aria-label": spec.label,
  });
  const apply = () => {
    const v = Math.round(Number(input.value));
    if (Number.isFinite(v) && v >= spec.min && v <= spec.max) onInput(v);
  };
  input.addEventListener("change", apply);
  const label = el("label", { class: "vae-label", for: id, text: spec.label });
  const set = (v) => {
    input.value = v;
  };
  set(value);
  return { node: el("div", { class: "vae-control" }, [label, input]), set };
}

/** A push button; its value is a click counter, so the kernel hears every click. */
function buttonControl(spec, value, onInput) {
  const button = el("button", {
    type: "button",
    class: "vae-button",
    text: spec.label,
    "aria-label": spec.label,
  });
  let clicks = Number(value) || 0;
  button.addEventListener("click", () => onInput(++clicks));
  return { node: el("div", { class: "vae-control" }, [button]), set: (v) => (clicks = v) };
}

const CONTROLS = {
  slider: sliderControl,
  choice: choiceControl,
  number: numberControl,
  button: buttonControl,
};

/**
 * A one-line legend under a picture: [colour, line style ("solid", "dashed", "dotted"), text]
 * per entry, each a short stroke in that colour and style before its text.
 */
function legend(entries) {
  const items = entries.map(([colour, style, text]) =>
    el("span", { class: "vae-legend-item" }, [
      el("span", {
        class: "vae-swatch",
        style: `border-top: 3px ${style} ${colour}; width: 2em; display: inline-block;`,
      }),
      ` ${text}`,
    ]),
  );
  const parts = items.flatMap((item, i) => (i ? [" · ", item] : [item]));
  return el("div", { class: "vae-caption" }, parts);
}

// -------------------------------------------------------------------------- pictures

/** A canvas for a picture of `width` x `height` pixels shown `scale` times larger. */
function pictureCanvas(width, height, scale, label) {
  const canvas = el("canvas", { class: "vae-picture", role: "img", "aria-label": label });
  canvas.width = width * scale;
  canvas.height = height * scale;
  return canvas;
}

/**
 * Draw grey levels (H·W numbers in [0, 1], or 0..255 for a Uint8Array) on a canvas, each pixel
 * a sharp scale × scale block (no smoothing): white background, black ink, as in the notebooks.
 */
function drawGrey(canvas, pixels, width, height) {
  const image = new ImageData(width, height);
  const unit = pixels instanceof Uint8Array ? 1 : 255;
  for (let i = 0; i < width * height; i++) {
    const v = 255 - Math.max(0, Math.min(255, Math.round(pixels[i] * unit)));
    image.data.set([v, v, v, 255], 4 * i);
  }
  drawImageData(canvas, image);
}

/** Draw RGB bytes (H·W·3, 0..255) on a canvas, scaled up without smoothing. */
function drawRGB(canvas, rgb, width, height) {
  const image = new ImageData(width, height);
  for (let i = 0; i < width * height; i++) {
    image.data.set([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 255], 4 * i);
  }
  drawImageData(canvas, image);
}

/** Put ImageData on a scratch canvas and copy it, enlarged, onto `canvas`. */
function drawImageData(canvas, image) {
  const scratch = document.createElement("canvas");
  scratch.width = image.width;
  scratch.height = image.height;
  scratch.getContext("2d").putImageData(image, 0, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(scratch, 0, 0, canvas.width, canvas.height);
}

// -------------------------------------------------------------------------- the decoder

/**
 * The forward pass of an MLP decoder p_θ(x|z), the same arithmetic as torch in float32:
 *   h₀ = input;  h_{l+1} = relu(W_l h_l + b_l) (no relu after the last layer);
 *   x̂ = sigmoid(h_L), pixel probabilities (Bernoulli) or means (Gaussian) in [0, 1].
 * `layers` is [{in, out, relu}], `weights` one Float32Array holding each layer's W (out × in,
 * row-major, as torch stores it) then b.
 */
function mlpForward(layers, weights, input) {
  let h = Float32Array.from(input);
  let offset = 0;
  for (const layer of layers) {
    const out = new Float32Array(layer.out);
    const W = weights.subarray(offset, offset + layer.out * layer.in);
    const b = weights.subarray(offset + layer.out * layer.in, offset + layer.out * (layer.in + 1));
    offset += layer.out * (layer.in + 1);
    for (let o = 0; o < layer.out; o++) {
      let sum = b[o];
      const row = o * layer.in;
      for (let i = 0; i < layer.in; i++) sum += W[row + i] * h[i];
      out[o] = layer.relu && sum < 0 ? 0 : sum;
    }
    h = out;
  }
  // sigmoid(t) = 1 / (1 + e^{−t})
  for (let i = 0; i < h.length; i++) h[i] = 1 / (1 + Math.exp(-h[i]));
  return h;
}

/** The decoder held by the model (spec in `decoder`, float32 weights in `weights`), or null. */
function browserDecoder(model) {
  const spec = model.get("decoder");
  if (!spec || !spec.layers) return null;
  const weights = float32Trait(model, "weights");
  const decode = spec.broadcast
    ? (z) => broadcastForward(spec.layers, weights, z, spec.broadcast)
    : (input) => mlpForward(spec.layers, weights, input);
  return { ...spec, decode };
}

/**
 * A broadcast decoder (one grey channel): pixel (row r, column c) = mlpForward([z, u, v]) with
 * u = −1 + 2c / (W − 1) across and v = −1 + 2r / (H − 1) down, as torch.linspace(−1, 1, ·).
 */
function broadcastForward(layers, weights, z, { height, width }) {
  const out = new Float32Array(height * width);
  const input = new Float32Array(z.length + 2);
  input.set(z);
  for (let r = 0; r < height; r++) {
    input[z.length + 1] = height > 1 ? -1 + (2 * r) / (height - 1) : -1;
    for (let c = 0; c < width; c++) {
      input[z.length] = width > 1 ? -1 + (2 * c) / (width - 1) : -1;
      out[r * width + c] = mlpForward(layers, weights, input)[0];
    }
  }
  return out;
}

// -------------------------------------------------------------------------- the frame

// Keys our controls use natively (sliders, radio groups, number boxes, buttons). JupyterLab 4
// binds them to notebook commands in command mode wherever the focus is in an output (a range
// input is not "read-write", so its shortcuts stay on): stop them at the widget's root.
const CONTROL_KEYS = new Set([
  "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End", "PageUp", "PageDown",
  "Enter", " ",
]);

/**
 * Build a widget: its root, its controls from `spec.controls`, and the wiring between them.
 * `setup(ctx)` adds the widget's own pictures to `ctx.root` and returns `draw(values)`.
 * The controls redraw at once; the kernel hears of the new values at most every 100 ms.
 * When the kernel changes `values` (a move from code), controls and picture follow.
 */
function mountWidget(model, el_, name, setup) {
  const spec = model.get("spec");
  const root = el("div", { class: `vae-widget vae-${spec.size || "normal"}` });
  root.dataset.widget = name;
  root.addEventListener("keydown", (event) => {
    if (CONTROL_KEYS.has(event.key)) event.stopPropagation();
  });
  root.dataset.frame = "0";
  root.dataset.render = model.get("decoder")?.layers ? "browser" : spec.render || "browser";
  root.style.setProperty("--vae-font", `${spec.font_px || 15}px`);
  let values = { ...model.get("values") };
  const sync = kernelSync(model);
  const controls = {};
  const panel = el("div", { class: "vae-controls" });
  const ctx = { model, spec, root, panel, controls, values: () => values, redraw: null };
  const handlers = [];
  ctx.listen = (event, handler) => {
    model.on(event, handler);
    handlers.push([event, handler]);
  };
  const draw = setup(ctx);
  const redraw = () => {
    draw(values);
    root.dataset.frame = String(Number(root.dataset.frame) + 1);
  };
  ctx.redraw = redraw;
  for (const c of spec.controls || []) {
    const onInput = (v) => {
      // a widget may move other controls along with this one: ctx.onInput returns their values
      const changes = { [c.name]: v, ...(ctx.onInput ? ctx.onInput(c.name, v, values) : {}) };
      values = { ...values, ...changes };
      for (const key of Object.keys(changes)) controls[key]?.set(values[key]);
      if (!c.kernel_only) redraw();
      sync(values);
    };
    controls[c.name] = CONTROLS[c.kind](c, values[c.name], onInput);
    panel.append(controls[c.name].node);
  }
  if (!ctx.placedPanel) root.append(panel);
  ctx.listen("change:values", () => {
    const incoming = model.get("values");
    // our own model.set() fires this too: only a change from the kernel moves anything
    if (JSON.stringify(incoming) === JSON.stringify(values)) return;
    values = { ...incoming };
    for (const [key, control] of Object.entries(controls)) control.set(values[key]);
    redraw();
  });
  el_.append(root);
  redraw();
  // a closed view removes its own handlers only (other views of the model keep theirs)
  return () => handlers.forEach(([event, handler]) => model.off(event, handler));
}
