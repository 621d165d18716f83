// Notebook 04: histograms of single-sample gradient estimates of E_{z~N(μ, σ²)}[(z − c)²], for
// the score function and the reparameterisation trick, from fixed draws ε sent once (float32,
// in the `weights` trait). Each estimate is a formula of (μ, σ, c, ε): drawn in the browser.

/** Per-sample estimates [[score ∂μ, score ∂σ], [reparam ∂μ, reparam ∂σ]], each Float64Array. */
function estimates(eps, mu, sigma, c) {
  const n = eps.length;
  const out = [0, 1, 2, 3].map(() => new Float64Array(n));
  for (let t = 0; t < n; t++) {
    const e = eps[t];
    // z = μ + σ ε; f(z) = (z − c)²
    const d = mu + sigma * e - c;
    const f = d * d;
    // score function: f(z) ∂log q/∂μ = f ε / σ, f(z) ∂log q/∂σ = f (ε² − 1) / σ
    out[0][t] = (f * e) / sigma;
    out[1][t] = (f * (e * e - 1)) / sigma;
    // reparameterisation: ∂f/∂z ∂z/∂μ = 2(z − c), ∂f/∂z ∂z/∂σ = 2(z − c) ε
    out[2][t] = 2 * d;
    out[3][t] = 2 * d * e;
  }
  return [
    [out[0], out[1]],
    [out[2], out[3]],
  ];
}

/** Closed-form variances of one sample (d = 1), [[score μ, score σ], [reparam μ, reparam σ]]. */
function closedFormVariances(mu, sigma, c) {
  const d2 = (mu - c) ** 2;
  const s2 = sigma * sigma;
  return [
    // [δ⁴ + 18δ²σ² + 15σ⁴] / σ² − 4δ² and [2δ⁴ + 60δ²σ² + 78σ⁴] / σ² − 4σ², δ = μ − c
    [(d2 * d2 + 18 * d2 * s2 + 15 * s2 * s2) / s2 - 4 * d2,
     (2 * d2 * d2 + 60 * d2 * s2 + 78 * s2 * s2) / s2 - 4 * s2],
    // 4σ² and 4δ² + 8σ²
    [4 * s2, 4 * d2 + 8 * s2],
  ];
}

/** The population variance of an array (NumPy's var, ddof = 0), two passes. */
function variance(values) {
  let mean = 0;
  for (const v of values) mean += v;
  mean /= values.length;
  let sum = 0;
  for (const v of values) sum += (v - mean) ** 2;
  return sum / values.length;
}

/** NumPy's percentile (linear interpolation) of a sorted array. */
function percentile(sorted, p) {
  const pos = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

/** 61 common bin edges: the central 98 % of both estimators' values, and exact ± 1. */
function histogramBins(a, b, exact) {
  const both = new Float64Array(a.length + b.length);
  both.set(a);
  both.set(b, a.length);
  both.sort();
  const lo = Math.min(percentile(both, 1), exact - 1);
  const hi = Math.max(percentile(both, 99), exact + 1);
  return Array.from({ length: 61 }, (_, i) => lo + ((hi - lo) * i) / 60);
}

/** Densities over 60 equal bins (NumPy's histogram, density=True: of the values inside). */
function density(values, edges) {
  const k = edges.length - 1;
  const lo = edges[0];
  const width = (edges[k] - lo) / k;
  const counts = new Float64Array(k);
  let inside = 0;
  for (const v of values) {
    if (v < lo || v > edges[k]) continue;
    counts[Math.min(k - 1, Math.floor((v - lo) / width))] += 1;
    inside += 1;
  }
  return counts.map((count) => count / (Math.max(inside, 1) * width));
}

/** Python's "{:.3g}": 3 significant digits, no trailing zeros, exponent form when large. */
function formatG(x, digits = 3) {
  if (x === 0 || !Number.isFinite(x)) return String(x);
  const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
  const [mantissa, exp] = x.toExponential(digits - 1).split("e");
  const e = Number(exp);
  if (e < -4 || e >= digits) {
    return `${strip(mantissa)}e${e < 0 ? "-" : "+"}${String(Math.abs(e)).padStart(2, "0")}`;
  }
  return strip(x.toFixed(Math.max(0, digits - 1 - e)));
}

/** One panel: the two histograms as filled steps, the exact gradient as a black line. */
function drawPanel(ctx, box, panel, font) {
  const { edges, dens, exact, title } = panel;
  const top = 1.08 * Math.max(...dens.map((d) => Math.max(...d)), 1e-12);
  const X = (v) => box.left + ((v - edges[0]) / (edges[edges.length - 1] - edges[0])) * box.width;
  const Y = (p) => box.bottom - (p / top) * box.height;
  dens.forEach((d, j) => {
    ctx.beginPath();
    ctx.moveTo(X(edges[0]), box.bottom);
    d.forEach((p, i) => {
      ctx.lineTo(X(edges[i]), Y(p));
      ctx.lineTo(X(edges[i + 1]), Y(p));
    });
    ctx.lineTo(X(edges[edges.length - 1]), box.bottom);
    ctx.globalAlpha = 0.45;
    ctx.fillStyle = panel.colours[j];
    ctx.fill();
    ctx.globalAlpha = 1;
  });
  ctx.strokeStyle = "#000";
  ctx.lineWidth = Math.max(2, font / 7);
  ctx.beginPath();
  ctx.moveTo(X(exact), box.bottom);
  ctx.lineTo(X(exact), box.bottom - box.height);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.strokeRect(box.left, box.bottom - box.height, box.width, box.height);
  ctx.fillStyle = "#111";
  ctx.textAlign = "center";
  ctx.font = `${Math.round(0.85 * font)}px sans-serif`;
  ctx.fillText(title, box.left + box.width / 2, box.bottom - box.height - 0.4 * font);
  ctx.fillText(formatG(edges[0]), X(edges[0]) + 1.5 * font, box.bottom + font);
  ctx.fillText(formatG(edges[edges.length - 1]), X(edges[edges.length - 1]) - 1.5 * font, box.bottom + font);
  ctx.textAlign = "right";
  // legend, top right: a swatch in the estimator's colour (black: the exact line), then its text
  panel.legend.forEach((line, i) => {
    const right = box.left + box.width - 0.4 * font;
    const y = box.bottom - box.height + (i + 1.2) * font;
    ctx.fillStyle = [...panel.colours, "#000"][i];
    ctx.fillRect(right - ctx.measureText(line).width - 1.3 * font, y - 0.6 * font, 0.9 * font, 0.6 * font);
    ctx.fillStyle = "#111";
    ctx.fillText(line, right, y);
  });
}

/** Everything both panels show, for (μ, σ, c). */
function panels(eps, values, colours) {
  const { mu, sigma, c } = values;
  const grads = estimates(eps, mu, sigma, c);
  const closed = closedFormVariances(mu, sigma, c);
  const exact = [2 * (mu - c), 2 * sigma];
  return ["∂/∂μ", "∂/∂σ"].map((label, i) => {
    const edges = histogramBins(grads[0][i], grads[1][i], exact[i]);
    const legend = ["score", "reparam"].map(
      (name, j) => `${name}: var ${formatG(variance(grads[j][i]))} (exact ${formatG(closed[j][i])})`,
    );
    return {
      edges,
      dens: [density(grads[0][i], edges), density(grads[1][i], edges)],
      exact: exact[i],
      title: `single-sample estimates of ${label} E[f]`,
      legend: [...legend, `exact ${formatG(exact[i])}`],
      colours: [colours.score, colours.reparam],
    };
  });
}

function render({ model, el: host }) {
  return mountWidget(model, host, "estimators", (ctx) => {
    const font = ctx.spec.font_px;
    const eps = float32Trait(model, "weights");
    const canvas = el("canvas", { class: "vae-picture", role: "img" });
    canvas.width = 54 * font;
    canvas.height = 17 * font;
    ctx.root.append(ctx.panel, canvas);
    ctx.placedPanel = true;
    return (values) => {
      const g = canvas.getContext("2d");
      g.clearRect(0, 0, canvas.width, canvas.height);
      const shown = panels(eps, values, ctx.spec.colours);
      const width = canvas.width / 2 - 1.5 * font;
      shown.forEach((panel, i) => {
        const box = { left: font + i * (width + font), width, bottom: canvas.height - 1.5 * font, height: canvas.height - 3.5 * font };
        drawPanel(g, box, panel, font);
      });
      canvas.setAttribute(
        "aria-label",
        `histograms of ${eps.length} single-sample gradient estimates for μ = ${values.mu.toFixed(2)}, ` +
          `σ = ${values.sigma.toFixed(2)}, c = ${values.c.toFixed(2)}: ` +
          shown.map((p) => `${p.title}: ${p.legend.join("; ")}`).join(". "),
      );
    };
  });
}

export default { render };
