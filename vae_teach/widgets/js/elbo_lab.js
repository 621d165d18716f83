// Notebook 03: q(z) = N(mean, std²) over the exact posterior p(z|x) of a 1-D linear-Gaussian
// model, and one stacked bar, ELBO + gap = log p(x). All closed form, from constants the kernel
// sends once (spec.model, see elbo_lab.py's `constants`): nothing waits for the kernel.

/** N(z; m, s²) = exp(−(z − m)² / 2s²) / (s √(2π)) */
function normalDensity(z, m, s) {
  return Math.exp(-0.5 * ((z - m) / s) ** 2) / (s * Math.sqrt(2 * Math.PI));
}

/** The exact terms for q = N(m, s²), in nats (c: the model's constants). */
function elboTerms(c, m, s) {
  // E_q[log p(x|z)] = −½ [D log 2πσ² + (‖x − b − w m‖² + s² ‖w‖²) / σ²],
  // ‖x − b − w m‖² = rr − 2 m wr + m² ww
  const sq = c.rr - 2 * m * c.wr + m * m * c.ww;
  const recon = -0.5 * (c.D * Math.log(2 * Math.PI * c.sigma2) + (sq + s * s * c.ww) / c.sigma2);
  // KL(q ‖ p(z)) = ½ (s² + m² − 1 − log s²)
  const klPrior = 0.5 * (s * s + m * m - 1 - Math.log(s * s));
  // gap = KL(q ‖ p(z|x)) = log(s_p / s) + (s² + (m − m_p)²) / 2s_p² − ½, s_p, m_p the posterior's
  const sp = c.post_std;
  const gap = Math.log(sp / s) + (s * s + (m - c.post_mean) ** 2) / (2 * sp * sp) - 0.5;
  // ELBO = reconstruction − KL to the prior
  return { recon, klPrior, elbo: recon - klPrior, gap };
}

/** Bottom of the bar's scale: steps of `scale` nats below log p(x), 15 % past the ELBO. */
function barFloor(logPx, elbo, scale) {
  const depth = logPx - elbo;
  return logPx - scale * Math.max(1, Math.ceil((1.15 * depth) / scale));
}

/** A line through (xs[i], ys[i]) in canvas coordinates. */
function strokeLine(ctx, xs, ys, style, dash = []) {
  ctx.beginPath();
  xs.forEach((x, i) => (i ? ctx.lineTo(x, ys[i]) : ctx.moveTo(x, ys[i])));
  Object.assign(ctx, style);
  ctx.setLineDash(dash);
  ctx.stroke();
  ctx.setLineDash([]);
}

/** Left panel: prior (grey dashes), posterior (black), q (orange, filled) over z. */
function drawDensities(ctx, box, spec, m, s) {
  const c = spec.model;
  const [z0, z1] = spec.z_range;
  const zs = Array.from({ length: 400 }, (_, i) => z0 + ((z1 - z0) * i) / 399);
  const peak = 1.6 * normalDensity(c.post_mean, c.post_mean, c.post_std);
  const X = zs.map((z) => box.left + ((z - z0) / (z1 - z0)) * box.width);
  const Y = (p) => box.bottom - Math.min(p / peak, 1.05) * box.height;
  const q = zs.map((z) => Y(normalDensity(z, m, s)));
  ctx.save();
  ctx.beginPath();
  ctx.rect(box.left, box.bottom - box.height, box.width, box.height);
  ctx.clip();
  ctx.beginPath();
  ctx.moveTo(X[0], box.bottom);
  X.forEach((x, i) => ctx.lineTo(x, q[i]));
  ctx.lineTo(X[X.length - 1], box.bottom);
  ctx.fillStyle = "rgba(230, 159, 0, 0.25)";
  ctx.fill();
  const lw = Math.max(2, spec.font_px / 6);
  strokeLine(ctx, X, zs.map((z) => Y(normalDensity(z, 0, 1))), { strokeStyle: "#777", lineWidth: lw }, [8, 5]);
  strokeLine(ctx, X, zs.map((z) => Y(normalDensity(z, c.post_mean, c.post_std))), { strokeStyle: "#000", lineWidth: lw });
  strokeLine(ctx, X, q, { strokeStyle: "#E69F00", lineWidth: lw });
  ctx.restore();
  strokeLine(ctx, [box.left, box.left + box.width], [box.bottom, box.bottom], { strokeStyle: "#000", lineWidth: 1 });
  ctx.fillStyle = "#111";
  ctx.textAlign = "center";
  for (let t = Math.ceil(z0); t <= Math.floor(z1); t++) {
    ctx.fillText(String(t), box.left + ((t - z0) / (z1 - z0)) * box.width, box.bottom + spec.font_px);
  }
  ctx.fillText("z", box.left + box.width / 2, box.bottom + 2 * spec.font_px);
}

/** Right panel: one bar, ELBO (orange) from the floor, gap (vermillion) on top, log p(x) dotted. */
function drawBar(ctx, box, spec, terms) {
  const logPx = spec.model.log_px;
  const floor = barFloor(logPx, terms.elbo, spec.scale);
  const top = logPx + 0.12 * (logPx - floor);
  const Y = (v) => box.bottom - ((v - floor) / (top - floor)) * box.height;
  const x = box.left + 0.15 * box.width;
  const w = 0.3 * box.width;
  ctx.fillStyle = "#E69F00";
  ctx.fillRect(x, Y(terms.elbo), w, Y(floor) - Y(terms.elbo));
  ctx.fillStyle = "#D55E00";
  ctx.fillRect(x, Y(terms.elbo + terms.gap), w, Y(terms.elbo) - Y(terms.elbo + terms.gap));
  strokeLine(ctx, [box.left, box.left + box.width], [Y(logPx), Y(logPx)], { strokeStyle: "#000", lineWidth: 1.5 }, [2, 4]);
  strokeLine(ctx, [box.left, box.left], [box.bottom, box.bottom - box.height], { strokeStyle: "#000", lineWidth: 1 });
  ctx.fillStyle = "#111";
  ctx.textAlign = "right";
  for (let v = Math.ceil(floor); v <= top; v += Math.max(1, Math.round((top - floor) / 5))) {
    ctx.fillText(String(v), box.left - 0.3 * spec.font_px, Y(v) + 0.3 * spec.font_px);
  }
  ctx.textAlign = "left";
  const lines = [
    `log p(x) = ${terms.logPx.toFixed(2)}`,
    `= ELBO ${terms.elbo.toFixed(2)}`,
    `+ gap ${terms.gap.toFixed(2)}`,
  ];
  lines.forEach((line, i) => {
    ctx.fillText(line, x + w + 0.6 * spec.font_px, box.bottom - box.height / 2 + (i - 1) * 1.4 * spec.font_px);
  });
  ctx.fillText("nats", box.left - 2.5 * spec.font_px, box.bottom - box.height - 0.5 * spec.font_px);
}

function drawLab(canvas, spec, m, s) {
  const font = spec.font_px;
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = `${Math.round(0.85 * font)}px sans-serif`;
  const height = canvas.height - 3.5 * font;
  const bottom = canvas.height - 2.5 * font;
  const split = 0.58 * canvas.width;
  drawDensities(ctx, { left: font, width: split - 2 * font, bottom, height }, spec, m, s);
  const terms = { ...elboTerms(spec.model, m, s), logPx: spec.model.log_px };
  drawBar(ctx, { left: split + 3 * font, width: canvas.width - split - 4 * font, bottom, height }, spec, terms);
  return terms;
}

const LEGEND = [
  ["#777", "dashed", "prior p(z)"],
  ["#000", "solid", "true posterior p(z|x)"],
  ["#E69F00", "solid", "q(z); bar: ELBO"],
  ["#D55E00", "solid", "gap = KL(q ‖ p(z|x))"],
  ["#000", "dotted", "log p(x)"],
];

function render({ model, el: host }) {
  return mountWidget(model, host, "elbo-lab", (ctx) => {
    const font = ctx.spec.font_px;
    const canvas = el("canvas", { class: "vae-picture", role: "img" });
    canvas.width = 46 * font;
    canvas.height = 17 * font;
    const readout = el("output", { class: "vae-readout", "aria-live": "polite" });
    ctx.root.append(ctx.panel, canvas, legend(LEGEND), readout);
    ctx.placedPanel = true;
    // the button "q = true posterior" moves both sliders onto p(z|x)
    const c = ctx.spec.model;
    ctx.onInput = (name) => (name === "posterior" ? { mean: c.post_mean, std: c.post_std } : {});
    return (values) => {
      const terms = drawLab(canvas, ctx.spec, values.mean, values.std);
      const text =
        `q = N(${values.mean.toFixed(2)}, ${values.std.toFixed(2)}²): ` +
        `log p(x) = ${terms.logPx.toFixed(4)}, ELBO = ${terms.elbo.toFixed(4)}, ` +
        `gap = ${(Math.round(terms.gap * 1e4) / 1e4 + 0).toFixed(4)}`;
      readout.textContent = text;
      canvas.setAttribute("aria-label", `the prior, the true posterior and ${text}`);
    };
  });
}

export default { render };
