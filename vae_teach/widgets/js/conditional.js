// Notebook 09: pick the digit y, move the style z. The decoder p_θ(x|z, y) runs here on the
// input [z, one_hot(y)], so a digit button or a slider redraws both pictures at once: the
// chosen digit, large, and the row of all ten digits at the same z.

/** The decoder's input [z₁ … z_d, one_hot(y)]: latent_dim + n_classes numbers. */
function conditionInput(spec, values, digit) {
  const input = new Float32Array(spec.latent_dim + spec.n_classes);
  for (let i = 0; i < spec.latent_dim; i++) input[i] = values[`z${i + 1}`];
  input[spec.latent_dim + digit] = 1;
  return input;
}

/** Ten images (side × side each) side by side with a one-pixel white gap: one row. */
function tileRow(images, side) {
  const width = images.length * (side + 1) - 1;
  const row = new Float32Array(width * side);
  images.forEach((image, k) => {
    for (let r = 0; r < side; r++) {
      row.set(image.subarray(r * side, (r + 1) * side), r * width + k * (side + 1));
    }
  });
  return { row, width };
}

function render({ model, el: host }) {
  return mountWidget(model, host, "conditional", (ctx) => {
    const { spec } = ctx;
    const side = spec.side;
    const decoder = browserDecoder(model);
    const big = pictureCanvas(side, side, spec.scale, "the chosen digit");
    const digits = Array.from({ length: spec.n_classes }, (_, k) => k);
    // the row: ten side × side images with one-pixel gaps, at a quarter of the large scale
    const rowScale = Math.max(2, Math.floor(spec.scale / 4));
    const row = pictureCanvas(spec.n_classes * (side + 1) - 1, side, rowScale, "");
    const caption = el("span", { class: "vae-caption" });
    ctx.root.append(
      el("div", { class: "vae-row" }, [ctx.panel, big]),
      el("div", { class: "vae-column", style: "align-items: flex-start" }, [row, caption]),
    );
    ctx.placedPanel = true;
    return (values) => {
      const images = digits.map((k) => decoder.decode(conditionInput(spec, values, k)));
      drawGrey(big, images[values.digit], side, side);
      // what was decoded, from which input: kept on the root for tests (browser vs torch)
      const input = conditionInput(spec, values, values.digit);
      Object.assign(ctx.root, { __vaeLastDecoded: images[values.digit], __vaeLastZ: input });
      const tiled = tileRow(images, side);
      drawGrey(row, tiled.row, tiled.width, side);
      const z = digits.slice(0, spec.latent_dim).map((i) => values[`z${i + 1}`].toFixed(2));
      big.setAttribute("aria-label", `digit ${values.digit} decoded at z = (${z.join(", ")})`);
      row.setAttribute("aria-label", `the digits 0 to 9 decoded at z = (${z.join(", ")})`);
      caption.textContent = `0 … ${spec.n_classes - 1}, all at z = (${z.join(", ")})`;
    };
  });
}

export default { render };
