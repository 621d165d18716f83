// Notebook 07: a slider per latent over an encoded base image. The codes μ(x) of every base
// image and their pixels came once from the kernel, the decoder p_θ(x|z) runs here: choosing a
// base image, moving a slider and going back to the base all redraw without the kernel. A switch
// of model (when there is a "model" choice) waits for the kernel: new codes and a new decoder.

/** The latent vector shown: the base code, with each slider's coordinate replaced. */
function currentZ(spec, base, values) {
  const z = Float32Array.from(base);
  for (const d of spec.dims) z[d] = values[`z${d + 1}`];
  return z;
}

/** Code μ(x_i) of base image i, (Z,), from the flat (N·Z) list. */
function codeOf(codes, spec, i) {
  return codes.slice(i * spec.latent_dim, (i + 1) * spec.latent_dim);
}

/** {slider name: z[d] clipped to the slider's range} for every slider coordinate. */
function sliderValues(spec, z) {
  const out = {};
  for (const c of spec.controls) {
    if (c.kind !== "slider") continue;
    const d = Number(c.name.slice(1)) - 1;
    out[c.name] = Math.min(c.max, Math.max(c.min, z[d]));
  }
  return out;
}

/** Slider labels of the model shown ("z₁ (KL 2.3)"), from the kernel's data.labels. */
function relabel(controls, labels) {
  for (const [name, text] of Object.entries(labels || {})) controls[name]?.setLabel(text);
}

function labelled(canvas, caption) {
  return el("div", { class: "vae-column" }, [canvas, caption]);
}

function render({ model, el: host }) {
  return mountWidget(model, host, "traversal", (ctx) => {
    const { spec } = ctx;
    const [w, h] = [spec.width, spec.height];
    let decoder = browserDecoder(model);
    const inputs = uint8Trait(model, "pixels"); // N·H·W bytes, base image i at i·H·W
    let data = model.get("data");
    let base = Float32Array.from(data.base);
    const input = pictureCanvas(w, h, spec.scale, "base image");
    const decoded = pictureCanvas(w, h, spec.scale, "decoded image");
    const inputCaption = el("span", { text: "input" });
    const decodedCaption = el("span", { text: "decoded" });
    ctx.root.append(
      el("div", { class: "vae-row" }, [
        labelled(input, inputCaption),
        labelled(decoded, decodedCaption),
      ]),
      ctx.panel,
    );
    ctx.placedPanel = true;
    // a new base image, or "back to the base image": every slider jumps to the base code
    ctx.onInput = (name, value, values) => {
      if (name !== "index" && name !== "reset") return {};
      const index = name === "index" ? value : values.index;
      base = Float32Array.from(codeOf(data.codes, spec, index));
      return sliderValues(spec, base);
    };
    // new data: a new base, or (after a switch of model) new codes, labels and decoder
    ctx.listen("change:data", () => {
      data = model.get("data");
      base = Float32Array.from(data.base);
      decoder = browserDecoder(model);
      relabel(ctx.controls, data.labels);
      ctx.redraw();
    });
    return (values) => {
      const i = values.index;
      drawGrey(input, inputs.subarray(i * w * h, (i + 1) * w * h), w, h);
      inputCaption.textContent = `input #${i}`;
      input.setAttribute("aria-label", `base image #${i}`);
      const z = currentZ(spec, base, values);
      const pixels = decoder ? decoder.decode(z) : Uint8Array.from(data.decoded || []);
      drawGrey(decoded, pixels, w, h);
      // what was decoded, at which z: kept on the root for tests (browser vs torch)
      Object.assign(ctx.root, { __vaeLastDecoded: pixels, __vaeLastZ: z });
      const shown = spec.dims.map((d) => `${z[d] >= 0 ? "+" : ""}${z[d].toFixed(2)}`);
      decoded.setAttribute("aria-label", `decoded image at z = (${shown.join(", ")})`);
    };
  });
}

export default { render };
