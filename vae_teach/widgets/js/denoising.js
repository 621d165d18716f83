// Notebook 02: one digit four times (clean, corrupted, plain AE, DAE). The models run in the
// kernel, so the kernel sends the four images as raw grey bytes (`pixels`, 4 × H·W) and the
// errors (`data`); this module draws them, with captions, each time they arrive.

function render({ model, el: host }) {
  return mountWidget(model, host, "denoising", (ctx) => {
    const { height, width, titles, scale } = ctx.spec;
    const canvases = titles.map((title) => pictureCanvas(width, height, scale, title));
    const captions = titles.map((title) => el("div", { class: "vae-caption", text: title }));
    const columns = titles.map((_, i) =>
      el("div", { class: "vae-column" }, [captions[i], canvases[i]]),
    );
    ctx.root.append(ctx.panel, el("div", { class: "vae-row" }, columns));
    ctx.placedPanel = true;
    // the kernel's new pictures: one redraw (and one frame) per answer
    ctx.listen("change:data", () => ctx.redraw());
    return (values) => {
      const pixels = uint8Trait(model, "pixels");
      const errors = model.get("data").errors || {};
      const size = width * height;
      titles.forEach((title, i) => {
        if (pixels.length >= (i + 1) * size) {
          drawGrey(canvases[i], pixels.subarray(i * size, (i + 1) * size), width, height);
        }
        const caption = title in errors ? `${title}: error ${errors[title].toFixed(1)}` : title;
        captions[i].textContent = caption;
        canvases[i].setAttribute(
          "aria-label",
          `${caption} (digit #${values.index}, ${values.kind}, level ${values.level.toFixed(2)})`,
        );
      });
    };
  });
}

export default { render };
