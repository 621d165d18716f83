// Notebook 05: q = N(μ, σ²) against the prior p = N(0, 1), with KL(q ‖ p) in closed form,
// drawn in the browser (the curves are formulas of the two sliders; nothing waits for the kernel).

/** log N(z; m, s²) = −½ log 2π − log s − (z − m)² / 2s² */
function logNormal(z, m, s) {
  return -0.5 * Math.log(2 * Math.PI) - Math.log(s) - ((z - m) * (z - m)) / (2 * s * s);
}

/** KL(N(μ, σ²) ‖ N(0, 1)) = ½ (μ² + σ² − 1 − log σ²) */
function klToStandardNormal(mu, sigma) {
  return 0.5 * (mu * mu + sigma * sigma - 1 - Math.log(sigma * sigma));
}

/** Plot coordinates: z in [−6, 6] across, y in [low, high] up, inside a margin. */
function plotFrame(canvas, low, high, font) {
  const left = 3 * font, right = canvas.width - font, top = 2.2 * font;
  const bottom = canvas.height - 2.2 * font;
  return {
    x: (z) => left + ((z + 6) / 12) * (right - left),
    y: (v) => bottom - ((v - low) / (high - low)) * (bottom - top),
    left, right, top, bottom,
  };
}

function drawCurve(ctx, frame, zs, ys, style) {
  ctx.beginPath();
  zs.forEach((z, i) => (i ? ctx.lineTo : ctx.moveTo).call(ctx, frame.x(z), frame.y(ys[i])));
  Object.assign(ctx, style);
  ctx.stroke();
}

function drawKL(canvas, mu, sigma, font) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const zs = Array.from({ length: 601 }, (_, i) => -6 + (12 * i) / 600);
  const q = zs.map((z) => Math.exp(logNormal(z, mu, sigma)));
  const p = zs.map((z) => Math.exp(logNormal(z, 0, 1)));
  // the integrand of KL(q ‖ p) = ∫ q (log q − log p) dz
  const integrand = zs.map((z, i) => q[i] * (logNormal(z, mu, sigma) - logNormal(z, 0, 1)));
  const high = 1.1 * Math.max(0.45, ...q, ...integrand);
  const low = Math.min(-0.1, 1.1 * Math.min(...integrand));
  const frame = plotFrame(canvas, low, high, font);
  // prior: grey fill; q: blue line; integrand: vermillion dashes (Okabe–Ito colours)
  ctx.beginPath();
  ctx.moveTo(frame.x(-6), frame.y(0));
  zs.forEach((z, i) => ctx.lineTo(frame.x(z), frame.y(p[i])));
  ctx.lineTo(frame.x(6), frame.y(0));
  ctx.fillStyle = "rgba(120, 120, 120, 0.3)";
  ctx.fill();
  ctx.setLineDash([]);
  drawCurve(ctx, frame, zs, zs.map(() => 0), { strokeStyle: "#000", lineWidth: 1 });
  drawCurve(ctx, frame, zs, q, { strokeStyle: "#0072B2", lineWidth: 3 });
  ctx.setLineDash([8, 5]);
  drawCurve(ctx, frame, zs, integrand, { strokeStyle: "#D55E00", lineWidth: 2 });
  ctx.setLineDash([]);
  // z axis ticks
  ctx.fillStyle = "#111";
  ctx.font = `${Math.round(0.8 * font)}px sans-serif`;
  ctx.textAlign = "center";
  for (let t = -6; t <= 6; t += 2) ctx.fillText(String(t), frame.x(t), frame.bottom + font);
  ctx.fillText("z", (frame.left + frame.right) / 2, frame.bottom + 2 * font);
  ctx.font = `bold ${font}px sans-serif`;
  const kl = klToStandardNormal(mu, sigma);
  ctx.fillText(`KL(q ‖ p) = ${kl.toFixed(3)} nats`, canvas.width / 2, 1.3 * font);
  return kl;
}

const LEGEND = [
  ["#0072B2", "solid", "q = N(μ, σ²)"],
  ["#787878", "solid", "p = N(0, 1) (shaded)"],
  ["#D55E00", "dashed", "q log(q/p), the KL integrand"],
];

function render({ model, el: host }) {
  return mountWidget(model, host, "kl", (ctx) => {
    const font = ctx.spec.font_px;
    const canvas = el("canvas", { class: "vae-picture", role: "img" });
    canvas.width = 40 * font;
    canvas.height = 18 * font;
    ctx.root.append(ctx.panel, canvas, legend(LEGEND));
    ctx.placedPanel = true;
    return (values) => {
      const kl = drawKL(canvas, values.mu, values.sigma, font);
      canvas.setAttribute(
        "aria-label",
        `q = N(${values.mu.toFixed(2)}, ${values.sigma.toFixed(2)}²) over the prior N(0, 1); ` +
          `KL = ${kl.toFixed(3)} nats`,
      );
    };
  });
}

export default { render };
