// Notebook 06: the latent explorer. Sliders move (z₁, z₂); the decoder p_θ(x|z) runs here, from
// the float32 weights sent once, so the digit is redrawn at once. The map (codes of test digits,
// prior contours) was drawn once by the kernel and arrives as RGB bytes; the ring at z, its axis
// ticks and the posterior ellipse of the chosen digit are drawn over it here, with the numbers of
// LatentMap.geometry() (the same marks LatentMap.draw stamps in Python). Typing a test digit's
// number asks the kernel (it has the encoder q_φ): it sends back z, the ellipse and the digit.

// Okabe–Ito colours: black ring and ticks on a white halo; vermillion ellipse
const RING = "#000000";
const HALO = "#FFFFFF";
const ELLIPSE = "#D55E00";

/** Latent (z₁, z₂) -> map pixel (row, col), as LatentMap.to_pixel. */
function toPixel(map, z1, z2) {
  const [cx, sx, cy, sy] = map.affine;
  return [cy + sy * (z2 - map.low), cx + sx * (z1 - map.low)];
}

/** The ellipse (μ₁ + r₁ cos t, μ₂ + r₂ sin t) on a white halo; pixel (r, c) spans [c, c+1]. */
function drawEllipse(ctx, map, [mu1, mu2, r1, r2]) {
  const [row, col] = toPixel(map, mu1, mu2);
  const rx = Math.abs(map.affine[1] * r1);
  const ry = Math.abs(map.affine[3] * r2);
  for (const [colour, width] of [[HALO, 5], [ELLIPSE, 3]]) {
    ctx.beginPath();
    ctx.ellipse(col + 0.5, row + 0.5, rx, ry, 0, 0, 2 * Math.PI);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  }
}

/** The ring at pixel (row, col) with a white halo and a centre dot; ticks on both axes. */
function drawMarker(ctx, map, row, col) {
  const x = col + 0.5;
  const y = row + 0.5;
  const ring = (radius, width, colour) => {
    ctx.beginPath();
    ctx.arc(x, y, radius, 0, 2 * Math.PI);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
  };
  ring(map.radius + map.ring + 1, 2, HALO);
  ring(map.radius, 2 * map.ring, RING);
  ctx.beginPath();
  ctx.arc(x, y, 1.5, 0, 2 * Math.PI);
  ctx.fillStyle = RING;
  ctx.fill();
  // ticks just inside the axes: where z₁ is on the bottom edge, z₂ on the left edge
  const left = Math.round(map.affine[0]);
  const bottom = Math.round(map.affine[2]);
  ctx.fillRect(col - 1, bottom - map.tick, 3, map.tick);
  ctx.fillRect(left + 1, row - 1, map.tick, 3);
}

/** The map canvas: the kernel's RGB pixels once, then the marks for each frame. */
function mapPicture(model, map) {
  const canvas = pictureCanvas(map.width, map.height, 1, "latent map");
  const background = document.createElement("canvas");
  background.width = map.width;
  background.height = map.height;
  drawRGB(background, uint8Trait(model, "map_rgb"), map.width, map.height);
  const draw = (z1, z2, ellipse) => {
    const ctx = canvas.getContext("2d");
    ctx.drawImage(background, 0, 0);
    if (ellipse) drawEllipse(ctx, map, ellipse);
    const [row, col] = toPixel(map, z1, z2).map(Math.round);
    drawMarker(ctx, map, row, col);
    return [row, col];
  };
  return { canvas, draw };
}

/** "+0.25" */
function signed(v) {
  return (v >= 0 ? "+" : "") + v.toFixed(2);
}

/** The chosen test digit: a small picture and its caption, hidden until a first jump. */
function thumbPicture(model, spec) {
  const [height, width] = spec.image;
  const canvas = pictureCanvas(width, height, spec.thumb_scale, "the chosen test digit");
  const caption = el("span", { class: "vae-caption" });
  const node = el("div", { class: "vae-row vae-thumb" }, [canvas, caption]);
  const draw = (data) => {
    node.style.display = data.jumped === null || data.jumped === undefined ? "none" : "";
    caption.textContent = data.caption || "";
    canvas.setAttribute("aria-label", data.caption || "the chosen test digit");
    const pixels = uint8Trait(model, "thumb");
    if (pixels.length === width * height) drawGrey(canvas, pixels, width, height);
  };
  return { node, draw };
}

/** The decoded digit at z: in the browser (MLP) or the kernel's pixels (grey or RGB bytes). */
function decodedPicture(model, spec, root) {
  const [height, width] = spec.image;
  const canvas = pictureCanvas(width, height, spec.scale, "decoded digit");
  const decoder = browserDecoder(model);
  const draw = (z) => {
    const pixels = decoder ? decoder.decode(z) : uint8Trait(model, "pixels");
    // for tests: the probabilities drawn and the z they were decoded at
    root.__vaeLastDecoded = pixels;
    root.__vaeLastZ = Float32Array.from(z);
    if (pixels.length === 3 * width * height) drawRGB(canvas, pixels, width, height);
    else if (pixels.length === width * height) drawGrey(canvas, pixels, width, height);
  };
  return { canvas, draw };
}

function render({ model, el: host }) {
  return mountWidget(model, host, "latent-explorer", (ctx) => {
    const { spec, root } = ctx;
    const decoded = decodedPicture(model, spec, root);
    const map = mapPicture(model, spec.map);
    const thumb = thumbPicture(model, spec);
    const readout = el("output", { class: "vae-readout", "aria-live": "polite" });
    const legend = el("div", { class: "vae-caption", text: spec.legend });
    legend.style.maxWidth = `${spec.map.width}px`;
    const left = el("div", { class: "vae-column" }, [decoded.canvas, readout]);
    const right = el("div", { class: "vae-column" }, [map.canvas, legend]);
    root.append(el("div", { class: "vae-row" }, [left, right]), ctx.panel, thumb.node);
    ctx.placedPanel = true;
    // the kernel's messages that change the picture without moving a slider
    for (const trait of ["data", "thumb", "pixels"]) ctx.listen(`change:${trait}`, () => ctx.redraw());
    return (values) => {
      const data = model.get("data") || {};
      const z = Float32Array.from(data.base || [0, 0]);
      z[0] = values.z1;
      z[1] = values.z2;
      decoded.draw(z);
      map.draw(values.z1, values.z2, data.ellipse);
      thumb.draw(data);
      // ‖z‖ in prior standard deviations: how far from the origin of N(0, I)
      const norm = Math.hypot(...z);
      const text = `z = (${signed(values.z1)}, ${signed(values.z2)})`;
      readout.textContent = spec.is_vae ? `${text}   ‖z‖ = ${norm.toFixed(2)}` : text;
      decoded.canvas.setAttribute("aria-label", `decoded digit at ${text}`);
      map.canvas.setAttribute("aria-label", `latent map, ring at ${text}`);
    };
  });
}

export default { render };
