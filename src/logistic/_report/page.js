/* logistic report: draws the page from the numbers embedded in #report-data.
   Every number shown comes from the library (see docs/report.md); this script only lays
   them out, as SVG and tables, and answers the reader's choices (row, threshold, search). */
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const SVGNS = "http://www.w3.org/2000/svg";
  const COLORS = ["#1f5fa8", "#d9731a", "#2a8c4a", "#d4a20f", "#7b4fa8", "#8c6d31",
    "#c2478f", "#4d4d4d", "#17a2b8", "#9aa31f"];
  const RED = "#b8262b", GREY = "#6b6b6b", BLUE = "#1f5fa8";
  let clipId = 0;

  // -- building blocks ---------------------------------------------------------------------
  function put(e, attrs) {
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    return e;
  }
  function add(e, kids) {
    for (const k of kids.flat(Infinity)) {
      if (k === null || k === undefined || k === false) continue;
      e.append(k instanceof Node ? k : String(k));
    }
    return e;
  }
  const h = (tag, attrs, ...kids) => add(put(document.createElement(tag), attrs), kids);
  const s = (tag, attrs, ...kids) => add(put(document.createElementNS(SVGNS, tag), attrs), kids);
  const $ = (id) => document.getElementById(id);
  const color = (k) => COLORS[k % COLORS.length];
  const short = (t, n) => (String(t).length <= n ? String(t) : String(t).slice(0, n - 1) + "…");

  function table(header, rows, attrs) {
    return h("table", attrs,
      h("thead", null, h("tr", null, header.map((c) => h("th", null, c)))),
      h("tbody", null, rows));
  }
  function facts(pairs) {
    return h("table", { class: "facts" }, h("tbody", null,
      pairs.filter((p) => p[1] !== null && p[1] !== undefined)
        .map(([k, v]) => h("tr", null, h("td", null, k), h("td", null, v)))));
  }
  function tick(v) {
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e4 || a < 1e-3) return v.toExponential(0).replace("e+", "e");
    return String(Number(v.toPrecision(3)));
  }
  function niceTicks(lo, hi, n) {
    const span = hi - lo || 1;
    const step0 = span / n, mag = Math.pow(10, Math.floor(Math.log10(step0)));
    const step = [1, 2, 2.5, 5, 10].map((f) => f * mag).find((st) => span / st <= n) || 10 * mag;
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(v);
    return out;
  }

  // -- one chart: lines, steps, points and bars on linear or log axes ----------------------
  function chart(o) {
    const W = o.width || 440, H = o.height || 290;
    const m = { l: 60, r: 14, t: o.title ? 26 : 12, b: 44 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const ok = (v) => v !== null && Number.isFinite(v) && (!o.logy || v > 0);
    let xs = [], ys = [];
    for (const se of o.series) {
      se.x.forEach((x, i) => { if (ok(se.y[i]) && x !== null) { xs.push(x); ys.push(se.y[i]); } });
    }
    if (o.hline !== undefined && o.hline !== null) ys.push(o.hline);
    const xlim = o.xlim || [Math.min(...xs), Math.max(...xs)];
    let ylim = o.ylim;
    if (!ylim) {
      let lo = Math.min(...ys), hi = Math.max(...ys);
      if (!o.logy) { const pad = (hi - lo) * 0.05 || Math.abs(hi) * 0.05 || 1; lo -= pad; hi += pad; }
      ylim = [lo, hi];
    }
    if (xlim[0] === xlim[1]) xlim[1] = xlim[0] + 1;
    if (ylim[0] === ylim[1]) ylim[1] = ylim[0] * 1.1 + 1e-12;
    const ly = (v) => Math.log10(v);
    const X = (v) => m.l + ((v - xlim[0]) / (xlim[1] - xlim[0])) * pw;
    const Y = o.logy
      ? (v) => m.t + ph - ((ly(v) - ly(ylim[0])) / (ly(ylim[1]) - ly(ylim[0]))) * ph
      : (v) => m.t + ph - ((v - ylim[0]) / (ylim[1] - ylim[0])) * ph;
    const svg = s("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img",
      "aria-label": o.title || o.ylabel || "chart", id: o.id });
    const cid = "clip" + ++clipId;
    svg.append(s("defs", null, s("clipPath", { id: cid },
      s("rect", { x: m.l, y: m.t, width: pw, height: ph }))));
    if (o.title) svg.append(s("text", { x: m.l, y: 16, class: "label", "font-weight": 600, text: o.title }));
    const axis = s("g", { class: "axis" });
    const xt = niceTicks(xlim[0], xlim[1], 6);
    for (const v of xt) {
      axis.append(s("line", { x1: X(v), x2: X(v), y1: m.t, y2: m.t + ph, stroke: "#eceff2" }));
      axis.append(s("text", { x: X(v), y: m.t + ph + 15, "text-anchor": "middle", text: tick(v) }));
    }
    let yt;
    if (o.logy) {
      yt = [];
      for (let e = Math.floor(ly(ylim[0])); e <= Math.ceil(ly(ylim[1])); e++) {
        const v = Math.pow(10, e);
        if (v >= ylim[0] * 0.999 && v <= ylim[1] * 1.001) yt.push(v);
      }
      if (yt.length > 7) yt = yt.filter((_, i) => i % Math.ceil(yt.length / 7) === 0);
    } else yt = niceTicks(ylim[0], ylim[1], 5);
    for (const v of yt) {
      axis.append(s("line", { x1: m.l, x2: m.l + pw, y1: Y(v), y2: Y(v), stroke: "#eceff2" }));
      axis.append(s("text", { x: m.l - 6, y: Y(v) + 4, "text-anchor": "end", text: tick(v) }));
    }
    axis.append(s("rect", { x: m.l, y: m.t, width: pw, height: ph, fill: "none", stroke: "#9aa5b1" }));
    svg.append(axis);
    if (o.xlabel) svg.append(s("text", { x: m.l + pw / 2, y: H - 8, "text-anchor": "middle", class: "label", text: o.xlabel }));
    if (o.ylabel) svg.append(s("text", { x: 14, y: m.t + ph / 2, "text-anchor": "middle", class: "label",
      transform: `rotate(-90 14 ${m.t + ph / 2})`, text: o.ylabel }));
    const plot = s("g", { "clip-path": `url(#${cid})` });
    if (o.diagonal) plot.append(s("line", { x1: X(0), y1: Y(0), x2: X(1), y2: Y(1), stroke: GREY, "stroke-dasharray": "4 4" }));
    if (o.hline !== undefined && o.hline !== null && ok(o.hline)) {
      plot.append(s("line", { x1: m.l, x2: m.l + pw, y1: Y(o.hline), y2: Y(o.hline), stroke: GREY, "stroke-dasharray": "5 4" }));
    }
    for (const se of o.series) {
      if (se.bars) {
        se.x.forEach((x, i) => {
          const y0 = Y(Math.max(ylim[0], 0)), y1 = Y(se.y[i]);
          plot.append(s("rect", { x: X(x), y: Math.min(y0, y1), width: Math.max(1, X(x + se.width) - X(x) - 1),
            height: Math.abs(y0 - y1), fill: se.color, opacity: 0.55 }));
        });
        continue;
      }
      let d = "", pen = false;
      se.x.forEach((x, i) => {
        const y = se.y[i];
        if (!ok(y)) { pen = false; return; }
        const px = X(x).toFixed(1), py = Y(Math.min(Math.max(y, o.logy ? ylim[0] / 10 : ylim[0] - (ylim[1] - ylim[0])), ylim[1] * 10)).toFixed(1);
        if (se.step && pen) d += `H${px}V${py}`;
        else d += (pen ? "L" : "M") + px + " " + py;
        pen = true;
      });
      if (!se.pointsOnly) {
        plot.append(s("path", { d, fill: "none", stroke: se.color, "stroke-width": se.width || 2,
          "stroke-dasharray": se.dash || null }));
      }
      if (se.points) {
        se.x.forEach((x, i) => { if (ok(se.y[i])) plot.append(s("circle", { cx: X(x), cy: Y(se.y[i]), r: 3.2, fill: se.color })); });
      }
      if (se.labels) {
        se.x.forEach((x, i) => { if (ok(se.y[i])) plot.append(s("text", { x: X(x) + 5, y: Y(se.y[i]) - 5, "font-size": 10, fill: GREY, text: se.labels[i] })); });
      }
    }
    svg.append(plot);
    const marker = s("g", { class: "marker" });
    svg.append(marker);
    const labelled = o.series.filter((se) => se.label);
    labelled.forEach((se, k) => {
      const y = m.t + 8 + k * 15, x = o.legendLeft ? m.l + 10 : m.l + pw - 10;
      const anchor = o.legendLeft ? "start" : "end";
      const g = s("g", null);
      g.append(s("rect", { x: o.legendLeft ? x : x - 16, y: y - 4, width: 14, height: 3, fill: se.color }));
      g.append(s("text", { x: o.legendLeft ? x + 18 : x - 20, y: y + 1, "text-anchor": anchor, "font-size": 11, fill: "#222", text: se.label }));
      svg.append(g);
    });
    svg.mark = (x, y, label) => {
      marker.replaceChildren();
      if (!ok(y)) return;
      marker.append(s("circle", { cx: X(x), cy: Y(y), r: 5.5, fill: RED, stroke: "#fff", "stroke-width": 1.5 }));
      const left = X(x) > m.l + pw * 0.7;
      if (label) marker.append(s("text", { x: X(x) + (left ? -8 : 8), y: Y(y) + 16, "text-anchor": left ? "end" : "start", "font-size": 11, fill: RED, text: label }));
    };
    return svg;
  }

  // -- header ------------------------------------------------------------------------------
  function header() {
    const f = D.fit, K = D.quality.classes.length;
    $("title").textContent = D.title;
    $("subtitle").textContent =
      `${K === 2 ? "Binary" : "Multinomial (" + K + " classes)"} logistic regression on ${D.data}: ` +
      `${D.rows.m} rows, ${D.rows.n_features} features. z = ${D.rows.formulas.z}, ` +
      `a = ${D.rows.formulas.a}, L = ${D.rows.formulas.L}.`;
    $("generated").textContent = `logistic ${D.version}; solver ${f.solver}; ${D.quality.classes.length} classes: ` +
      D.quality.classes.map((c) => short(c, 20)).join(", ");
  }

  // -- 1. the fit --------------------------------------------------------------------------
  function fit() {
    const f = D.fit, box = $("fit-body");
    box.append(h("div", { class: "row" },
      h("div", { class: "card" }, h("h3", null, "the fit"), facts([
        ["solver", f.solver], ["iterations", String(f.n_iter)],
        ["converged", h("span", { class: "pill " + (f.converged ? "good" : "bad"), text: f.converged ? "yes" : "no" })],
        ["final loss (objective)", f.final_loss], ["final max |gradient|", f.grad_norm], ["tol", f.tol],
        ["C", f.C], ["l1_ratio", f.l1_ratio], ["class_weight", f.class_weight],
        ["intercept", f.fit_intercept ? "fitted" : "none"],
        ["rows on this page", String(D.rows.m)], ["training rows", f.training_rows === null ? null : String(f.training_rows)],
        ["trained on", f.trained_on]])),
      f.curves ? h("div", { class: "card" }, chart({
        id: "chart-loss", title: "loss per iteration", xlabel: "iteration", ylabel: "mean-form objective",
        series: [{ x: f.curves.iteration, y: f.curves.loss, color: BLUE, points: f.curves.loss.length <= 40 }] })) : null,
      f.curves ? h("div", { class: "card" }, chart({
        id: "chart-grad", title: "max |gradient| per iteration (log scale)", xlabel: "iteration", ylabel: "max |gradient|",
        logy: true, hline: Number(f.tol), series: [{ x: f.curves.iteration, y: f.curves.grad_norm, color: "#d9731a",
          points: f.curves.loss.length <= 40, label: "max |grad|" }, { x: [], y: [], color: GREY, label: "tol (dashed)" }] })) : null));
    if (f.note) box.append(h("p", { class: "note", text: f.note }));
  }

  // -- 2. quality --------------------------------------------------------------------------
  let rocChart = null, prChart = null;
  function quality() {
    const q = D.quality, box = $("quality-body"), K = q.classes.length, mt = q.metrics;
    const f4 = (v) => (v === null || v === undefined ? "n/a" : Number(v).toFixed(4));
    box.append(h("div", { class: "row" },
      h("div", { class: "card" }, h("h3", null, `on ${q.rows} rows`), facts([
        ["accuracy" + (K === 2 ? ` (threshold ${q.threshold})` : ""), f4(mt.accuracy)], ["log-loss", f4(mt.log_loss)],
        [K === 2 ? "ROC AUC" : "ROC AUC (one-vs-rest, macro)", f4(mt.roc_auc)],
        [K === 2 ? "Brier score" : "Brier score (0..2)", f4(mt.brier)],
        K === 2 ? ["average precision", f4(mt.average_precision)] : [null, null]])),
      q.roc && q.roc.length ? h("div", { class: "card" }, rocChart = chart({
        id: "chart-roc", title: K === 2 ? `ROC curve (AUC ${f4(q.roc[0].auc)})` : "ROC one-vs-rest",
        xlabel: "false positive rate", ylabel: "true positive rate", xlim: [0, 1], ylim: [0, 1.01], diagonal: true,
        width: 360, height: 330, series: q.roc.map((c, k) => ({ x: c.x, y: c.y, color: K === 2 ? BLUE : color(k),
          label: K === 2 ? null : `${short(c.name, 14)} (AUC ${f4(c.auc)})` })) })) : null,
      q.pr && q.pr.length ? h("div", { class: "card" }, prChart = chart({
        id: "chart-pr", title: K === 2 ? `precision-recall (AP ${f4(q.pr[0].ap)})` : "precision-recall one-vs-rest",
        xlabel: "recall", ylabel: "precision", xlim: [0, 1], ylim: [0, 1.02], legendLeft: true,
        hline: K === 2 ? q.pr[0].base : null, width: 360, height: 330,
        series: q.pr.map((c, k) => ({ x: c.x, y: c.y, step: true, color: K === 2 ? BLUE : color(k),
          label: K === 2 ? null : short(c.name, 14) })) })) : null,
      h("div", { class: "card" }, chart({
        id: "chart-calibration", title: `calibration of ${q.calibration.what}`, xlabel: "mean predicted probability",
        ylabel: "observed frequency", xlim: [0, 1], ylim: [0, 1.02], diagonal: true, width: 360, height: 330,
        series: [{ x: q.calibration.mean_p, y: q.calibration.observed, color: BLUE, points: true,
          labels: q.calibration.rows.map(String), label: "bins (grey: rows)" }] })),
      h("div", { class: "card" }, chart({
        id: "chart-hist", title: "predicted probabilities", xlabel: q.calibration.what, ylabel: "rows",
        xlim: [0, 1], width: 360, height: 330, series: q.histogram.counts.map((c, k) => ({
          x: q.histogram.edges.slice(0, -1), y: c, bars: true, width: 0.05, color: k ? BLUE : "#d9731a",
          label: q.histogram.names[k] })) }))));
    const cm = h("div", { class: "card", id: "confusion-card" });
    box.append(cm);
    if (K === 2) {
      const grid = q.thresholds, start = grid.findIndex((g) => g.t === q.threshold);
      const slider = h("input", { type: "range", id: "threshold", min: 0, max: grid.length - 1, step: 1,
        value: start, "aria-label": "threshold" });
      const shown = h("span", { id: "threshold-value", class: "bignum" });
      cm.append(h("h3", null, "confusion matrix at a threshold you move"),
        h("p", { class: "note", text: `A row is predicted ${q.classes[1]} when its probability P(y = ${q.classes[1]}) is above the threshold. ` +
          "Each position's matrix is logistic.metrics.classification_metrics at that threshold." }),
        h("div", { class: "controls" }, h("label", { for: "threshold" }, "threshold "), slider, shown),
        h("div", { id: "confusion" }));
      const draw = () => {
        const g = grid[Number(slider.value)];
        shown.textContent = String(g.t);
        confusion(g, q.classes);
        const [[tn, fp], [fn, tp]] = g.matrix;
        const tpr = tp / Math.max(1, tp + fn), fpr = fp / Math.max(1, fp + tn);
        if (rocChart) rocChart.mark(fpr, tpr, `t = ${g.t}`);
        if (prChart && tp + fp > 0) prChart.mark(tpr, tp / (tp + fp), `t = ${g.t}`);
        else if (prChart) prChart.mark(0, null);
      };
      slider.addEventListener("input", draw);
      draw();
    } else {
      cm.append(h("h3", null, "confusion matrix"),
        h("p", { class: "note", text: "A multinomial model predicts the most probable class; a threshold applies to two classes only." }),
        h("div", { id: "confusion" }));
      confusion(mt, q.classes);
    }
  }
  function confusion(g, classes) {
    const K = classes.length, pct = (v) => (100 * v).toFixed(1) + "%";
    const head = ["true \\ predicted", ...classes.map((c) => short(c, 16))];
    const body = g.matrix.map((row, i) => h("tr", null, h("th", null, short(classes[i], 16)),
      row.map((v, j) => h("td", { class: i === j ? "diag" : (v ? "off" : null), "data-cell": `${i}-${j}`, text: String(v) }))));
    const per = g.per_class.map((r, k) => h("tr", null, h("td", null, short(classes[k], 20)),
      h("td", { class: "num", text: pct(r.precision) }), h("td", { class: "num", text: pct(r.recall) }),
      h("td", { class: "num", text: r.f1.toFixed(4) }), h("td", { class: "num", text: String(r.support) })));
    $("confusion").replaceChildren(h("div", { class: "row" },
      h("div", { class: "wide" }, table(head, body, { class: "cm", id: "cm" })),
      h("div", null, table(["class", "precision", "recall", "F1", "rows"], per, { id: "per-class" }),
        h("p", { id: "accuracy", class: "note", text: `accuracy ${g.accuracy.toFixed(4)}; macro F1 ${g.macro.f1.toFixed(4)}` }))));
    if (K > 12) $("confusion").prepend(h("p", { class: "note", text: `${K} classes: scroll the matrix sideways.` }));
  }

  // -- 3. coefficients ---------------------------------------------------------------------
  function coefficients() {
    const c = D.coefficients, box = $("coef-body"), single = c.outputs.length === 1;
    const value = (r) => Math.max(...r.slice(1, 1 + c.outputs.length).map((v) => Math.abs(parseFloat(v)) || 0));
    const rows = c.rows.map((r, k) => ({ r, k, size: value(r), z: c.inference ? Math.abs(parseFloat(r[2 + c.outputs.length])) : 0 }));
    let limit = 50;
    const search = h("input", { type: "search", id: "coef-search", placeholder: "search coefficients by name", "aria-label": "search coefficients" });
    const sort = h("select", { id: "coef-sort", "aria-label": "sort by" },
      h("option", { value: "size", text: "largest |coefficient| first" }),
      c.inference ? h("option", { value: "z", text: "largest |z| first" }) : null,
      h("option", { value: "name", text: "by name" }));
    const count = h("span", { id: "coef-count", class: "note" });
    const more = h("button", { id: "coef-more", text: "show 50 more" });
    const holder = h("div", { class: "scroll" });
    box.append(h("p", { class: "note", text: [c.source, c.note, `${c.nonzero} of ${c.n_features} features have a non-zero coefficient.`].filter(Boolean).join(" ") }),
      h("div", { class: "controls" }, search, sort, count));
    const bars = h("div", { class: "card" });
    box.append(h("div", { class: "row" }, h("div", null, holder, more), bars));
    const draw = () => {
      const terms = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
      let hit = rows.filter((o) => terms.every((t) => o.r[0].toLowerCase().includes(t)));
      const key = sort.value;
      hit = hit.slice().sort(key === "name" ? (a, b) => a.r[0].localeCompare(b.r[0])
        : key === "z" ? (a, b) => b.z - a.z : (a, b) => b.size - a.size);
      const shown = hit.slice(0, limit);
      count.textContent = `showing ${shown.length} of ${hit.length} matching (${rows.length} in all)`;
      more.style.display = hit.length > limit ? "" : "none";
      holder.replaceChildren(table(c.header, shown.map((o) => h("tr", { class: o.r[0] === "intercept" && o.k === 0 ? "intercept" : null },
        o.r.map((v, j) => h("td", { class: j ? "num" : null, text: v })))), { id: "coef-table" }));
      coefBars(bars, hit.filter((o) => !(o.k === 0 && o.r[0] === "intercept")).slice(0, 20), c, single);
    };
    search.addEventListener("input", () => { limit = 50; draw(); });
    sort.addEventListener("change", draw);
    more.addEventListener("click", () => { limit += 50; draw(); });
    draw();
  }
  function coefBars(box, top, c, single) {
    const W = 430, rowH = 17, H = 40 + rowH * Math.max(1, top.length), ml = 170;
    const K = c.outputs.length;
    const vals = top.flatMap((o) => {
      const v = o.r.slice(1, 1 + K).map(parseFloat);
      if (c.inference) v.push(parseFloat(o.r[K + 4]), parseFloat(o.r[K + 5]));
      return v.filter(Number.isFinite);
    });
    const lim = Math.max(1e-12, ...vals.map(Math.abs));
    const X = (v) => ml + ((v + lim) / (2 * lim)) * (W - ml - 12);
    const svg = s("svg", { width: W, height: H, id: "chart-coef" });
    svg.append(s("text", { x: 4, y: 14, class: "label", "font-weight": 600,
      text: single ? (c.inference ? "coefficients with 95% intervals" : "largest coefficients") : "largest coefficients, per class" }));
    svg.append(s("line", { x1: X(0), x2: X(0), y1: 22, y2: H - 14, stroke: "#333" }));
    top.forEach((o, i) => {
      const y = 28 + i * rowH;
      svg.append(s("text", { x: ml - 6, y: y + 10, "text-anchor": "end", "font-size": 11, text: short(o.r[0], 26) }));
      for (let k = 0; k < K; k++) {
        const v = parseFloat(o.r[1 + k]);
        if (!Number.isFinite(v)) continue;
        const bh = (rowH - 4) / K;
        svg.append(s("rect", { x: Math.min(X(0), X(v)), y: y + k * bh, width: Math.abs(X(v) - X(0)), height: Math.max(1, bh - 0.5),
          fill: single ? (v >= 0 ? BLUE : "#d9731a") : color(k) }));
      }
      if (c.inference) {
        const lo = parseFloat(o.r[K + 4]), hi = parseFloat(o.r[K + 5]);
        if (Number.isFinite(lo) && Number.isFinite(hi)) {
          svg.append(s("line", { x1: X(lo), x2: X(hi), y1: y + 6, y2: y + 6, stroke: "#111", "stroke-width": 1.3 }));
        }
      }
    });
    svg.append(s("text", { x: X(-lim), y: H - 2, "font-size": 10, fill: GREY, text: tick(-lim) }));
    svg.append(s("text", { x: X(lim), y: H - 2, "font-size": 10, fill: GREY, "text-anchor": "end", text: tick(lim) }));
    box.replaceChildren(svg);
  }

  // -- 4. the computation graph of one row -------------------------------------------------
  const R = D.rows;
  const num = (r) => r.i + (R.first_row || 0);  // how the page numbers rows
  function graphSection() {
    const box = $("graph-body");
    const select = h("select", { id: "row-select", "aria-label": "row" },
      R.rows.map((r, k) => h("option", { value: k, text: `row ${num(r)}: y = ${short(r.label, 14)}, predicted ${short(r.pred, 14)}, L = ${r.L}${r.saturated ? ", saturated" : ""}` })));
    const index = h("input", { type: "number", id: "row-index", min: R.first_row || 0, max: R.m - 1 + (R.first_row || 0), step: 1, "aria-label": "row number" });
    const search = h("input", { type: "search", id: "row-search", placeholder: "search rows by value: radius>20; label=1 …", "aria-label": "search rows" });
    const found = h("div", { class: "results", id: "row-results" });
    const message = h("p", { class: "note", id: "row-message" });
    // the most saturated row: a saturated one first, then the largest |z|
    const size = (r) => Math.max(...r.z.map((v) => Math.abs(parseFloat(v)) || 0));
    const worse = (r, q) => (r.saturated !== q.saturated ? r.saturated : size(r) > size(q));
    const worst = R.rows.reduce((b, r, k) => (worse(r, R.rows[b]) ? k : b), 0);
    box.append(h("p", { class: "lead", text: R.sampled
      ? `The graph of ${R.rows.length} of the ${R.m} rows is embedded in this page: the ones with the largest |z| and the largest loss, and the rest evenly spread. Pick one from the list, by its index, or by a search of its values.`
      : `Every one of the ${R.m} rows can be picked: from the list, by its index, or by a search of its values.` }),
      h("div", { class: "controls" }, h("label", { for: "row-select" }, "row "), select,
        h("label", { for: "row-index" }, R.first_row ? "data row " : "index "), index,
        h("button", { id: "row-extreme", text: R.rows.some((r) => r.saturated) ? "a saturated row" : "the row with the largest |z|", onclick: () => pick(worst) })),
      h("div", { class: "controls" }, search), found, message,
      h("div", { id: "graph-svg", class: "wide" }),
      h("div", { id: "saturation" }),
      h("div", { class: "row" },
        h("div", { class: "card" }, h("h3", null, "every node and local derivative (logistic explain)"), h("div", { id: "trace" })),
        h("div", { class: "card" }, h("h3", { id: "features-title" }, "largest contributions"), h("div", { id: "contrib-svg" }),
          h("div", { id: "features", class: "wide" }), h("p", { class: "note", id: "features-sum" }))));
    function pick(k) {
      select.value = String(k);
      index.value = String(num(R.rows[k]));
      message.textContent = "";
      drawRow(R.rows[k]);
    }
    select.addEventListener("change", () => pick(Number(select.value)));
    index.addEventListener("change", () => {
      const i = Number(index.value), k = R.rows.findIndex((r) => num(r) === i);
      if (k >= 0) pick(k);
      else message.textContent = `Row ${i} is not among the ${R.rows.length} rows embedded in this page; ` +
        "ask for it with report(..., rows=[...]) or logistic report --row.";
    });
    search.addEventListener("input", () => {
      const hits = findRows(search.value);
      found.replaceChildren(...hits.slice(0, 24).map((k) => h("button", { class: "row-hit", text: `row ${num(R.rows[k])}`, onclick: () => pick(k) })));
      if (search.value.trim()) found.append(h("span", { class: "note", text: `${hits.length} matching row${hits.length === 1 ? "" : "s"}` + (hits.length > 24 ? " (first 24 shown)" : "") }));
    });
    pick(0);
  }
  function findRows(query) {
    const names = R.input_names.length ? R.input_names : R.names;
    const terms = query.split(/[;,]/).map((t) => t.trim().toLowerCase()).filter(Boolean);
    if (!terms.length) return [];
    const test = (r, t) => {
      const m = t.match(/^(.+?)\s*(<=|>=|<|>|=)\s*(.+)$/);
      const pairs = r.inputs.map(([j, v]) => [String(names[j]).toLowerCase(), v]);
      pairs.push(["label", String(r.label).toLowerCase()], ["y", String(r.label).toLowerCase()],
        ["row", String(num(r))], ["predicted", String(r.pred).toLowerCase()]);
      if (!m) return pairs.some(([n, v]) => n.includes(t) || String(v).toLowerCase().includes(t));
      const [, name, op, want] = m, w = parseFloat(want);
      return pairs.some(([n, v]) => {
        if (!n.includes(name.trim())) return false;
        const x = parseFloat(v);
        if (op === "=") return String(v).toLowerCase() === want.trim() || (Number.isFinite(w) && x === w);
        if (!Number.isFinite(x) || !Number.isFinite(w)) return false;
        return op === "<" ? x < w : op === ">" ? x > w : op === "<=" ? x <= w : x >= w;
      });
    };
    return R.rows.map((r, k) => k).filter((k) => terms.every((t) => test(R.rows[k], t)));
  }
  function box(svg, x, y, w, hgt, lines, stroke, id) {
    const g = s("g", { id });
    g.append(s("rect", { x: x - w / 2, y: y - hgt / 2, width: w, height: hgt, rx: 9, fill: stroke + "14", stroke, "stroke-width": 1.6 }));
    lines.forEach((t, k) => g.append(s("text", { x, y: y - (lines.length - 1) * 8 + k * 16 + 4, "text-anchor": "middle",
      "font-size": k ? 12 : 13, "font-weight": k ? 400 : 600, class: "node-line", text: t })));
    svg.append(g);
  }
  function arrow(svg, x1, y1, x2, y2, stroke) {
    const a = Math.atan2(y2 - y1, x2 - x1), L = 9;
    svg.append(s("line", { x1, y1, x2, y2, stroke, "stroke-width": 1.5 }));
    svg.append(s("path", { d: `M${x2} ${y2}L${x2 - L * Math.cos(a - 0.4)} ${y2 - L * Math.sin(a - 0.4)}L${x2 - L * Math.cos(a + 0.4)} ${y2 - L * Math.sin(a + 0.4)}Z`, fill: stroke }));
  }
  function listed(r, values, symbol) {
    const K = R.outputs.length;
    if (K === 1) return [`= ${values[0]}`];
    const truth = R.outputs.indexOf(r.label);
    let ks = [...Array(K).keys()];
    if (K > 6) {
      const order = ks.slice().sort((p, q) => parseFloat(r.a[q]) - parseFloat(r.a[p])).filter((k) => k !== truth);
      ks = [truth, ...order.slice(0, 5)].sort((p, q) => p - q);
    }
    const out = ks.map((k) => `${symbol}[${short(R.outputs[k], 8)}] = ${values[k]}`);
    if (K > ks.length) out.push(`… ${K - ks.length} more classes`);
    return out;
  }
  function drawRow(r) {
    const P = R.pretty, K = R.outputs.length, W = 1060;
    const zl = [P.z, ...listed(r, r.z, "z")], al = [P.a, ...listed(r, r.a, "a")];
    const tall = Math.max(74, 18 * Math.max(zl.length, al.length) + 14), H = Math.max(360, tall + 250);
    const cy = 150;
    const svg = s("svg", { width: W, height: H, id: "graph-picture", viewBox: `0 0 ${W} ${H}` });
    const nx = R.n_features, wname = R.weights;
    box(svg, 90, 52, 150, 64, ["x", `${nx} feature${nx === 1 ? "" : "s"}`, "(table below)"], GREY, "node-x");
    box(svg, 90, cy, 150, 64, K === 1 ? ["w", `w·x = ${r.wx[0]}`] : ["W", `${nx} × ${K} weights`], GREY, "node-w");
    box(svg, 90, cy + 100, 150, 64, K === 1 ? ["b", `= ${r.b[0]}`] : ["b", `${K} intercepts`], GREY, "node-b");
    box(svg, 400, cy, 220, tall, zl, BLUE, "node-z");
    box(svg, 690, cy, 220, tall, al, BLUE, "node-a");
    box(svg, 955, cy, 170, 76, [P.L, `y = ${short(r.label, 14)}`, `= ${r.L}`], BLUE, "node-L");
    arrow(svg, 166, 60, 288, cy - 20, GREY);
    arrow(svg, 166, cy, 288, cy, "#222");
    arrow(svg, 166, cy + 92, 288, cy + 20, "#222");
    arrow(svg, 511, cy, 578, cy, "#222");
    arrow(svg, 801, cy, 868, cy, "#222");
    const label = (x, y, t, fill, anchor) => svg.append(s("text", { x, y, "text-anchor": anchor || "middle", "font-size": 12, fill: fill || "#222", text: t }));
    label(225, cy - 8, `∂z/∂${wname} = x`);
    label(232, cy + 72, "∂z/∂b = 1");
    const truth = K === 1 ? 0 : R.outputs.indexOf(r.label);
    const top = cy - tall / 2 - 30;
    label(545, top, P["da/dz"]);
    label(545, top + 16, K === 1 ? `= ${r.da_dz[0]}` : `∂a_y/∂z_y = ${r.da_dz[truth]}`);
    label(830, top, P["dL/da"]);
    label(830, top + 16, K === 1 ? `= ${r.dL_da[0]}` : `∂L/∂a_y = ${r.dL_da[truth]}, the others 0`);
    const low = cy + tall / 2 + 34;
    const chain = K === 1 ? r.chain[0] : `[${r.chain.slice(0, 4).join(", ")}${K > 4 ? ", …" : ""}]`;
    const fused = K === 1 ? r.fused[0] : `[${r.fused.slice(0, 4).join(", ")}${K > 4 ? ", …" : ""}]`;
    label(690, low, `backward: ${P.chain} = ${chain}`, RED);
    label(690, low + 18, `fused form ${P.fused} = ${fused}`, RED);
    label(400, low + 52, K === 1 ? `${P["dL/db"]} = ${r.dL_db[0]}` : `${P["dL/db"]}, per class in the table`, RED);
    label(400, low + 70, `${P["dL/dw"]}: per feature in the table`, RED);
    label(20, H - 12, `row ${num(r)}: y = ${r.label}, predicted ${r.pred}`, GREY, "start");
    $("graph-svg").replaceChildren(svg);
    // the trace's own table, as logistic explain prints it
    $("trace").replaceChildren(table(["quantity", "formula", "value"], R.quantities.map((q, k) =>
      h("tr", null, h("td", null, q), h("td", { class: "formula", text: R.row_formulas[k] }), h("td", { class: "value", "data-quantity": q, text: r.values[k] }))),
      { id: "trace-table" }));
    if (r.jacobian) {
      $("trace").append(h("h3", null, "∂a/∂z = diag(a) − a aᵀ"), table(["", ...R.outputs.map((c) => `z[${short(c, 8)}]`)],
        r.jacobian.map((row, i) => h("tr", null, h("th", null, `a[${short(R.outputs[i], 8)}]`), row.map((v) => h("td", { class: "num", text: v })))), { id: "jacobian" }));
    }
    saturation(r);
    features(r);
  }
  function saturation(r) {
    const K = R.outputs.length, el = $("saturation");
    if (r.saturated) {
      el.replaceChildren(h("div", { class: "warn", id: "saturation-note" }, h("strong", null, "This row saturates. "), r.note));
      return;
    }
    el.replaceChildren(h("div", { class: "calm", id: "saturation-note" },
      `No probability of this row rounds to 0 or 1, so the literal chain product ∂L/∂a · ∂a/∂z ` +
      `(${K === 1 ? r.chain[0] : "per class"}) agrees with the fused a − y (${K === 1 ? r.fused[0] : "per class"}) ` +
      `to rounding; the loss from the logits is ${r.L}, from a as the seeds write it ${r.L_literal}. ` +
      "Where |z| exceeds about 36.7, a rounds to 1 in float64 and the literal product becomes inf · 0; " +
      "the button above picks the most saturated row of this page."));
  }
  function features(r) {
    const K = R.outputs.length, W = R.weights;
    const head = ["feature", "x = ∂z/∂" + W.toLowerCase()];
    if (K === 1) head.push(`${W}·x`, `∂L/∂${W} = (a − y) x`);
    else {
      R.outputs.forEach((c) => head.push(`${W}x [${short(c, 8)}]`));
      R.outputs.forEach((c) => head.push(`∂L/∂${W} [${short(c, 8)}]`));
    }
    $("features-title").textContent = `the ${r.features.length} largest contributions ${W}_j x_j of ${R.n_features} features`;
    $("features").replaceChildren(table(head, r.features.map(([j, x, wx, g]) =>
      h("tr", null, h("td", null, short(R.names[j], 40)), h("td", { class: "num", text: x }),
        wx.map((v) => h("td", { class: "num", text: v })), g.map((v) => h("td", { class: "num", text: v })))), { id: "feature-table" }));
    const rest = r.rest;
    $("features-sum").textContent = `z = b + Σ ${W}_j x_j: the features shown add their ${W}x; the other ${rest.count} ` +
      `(${rest.zeros} of them with x = 0) add ${K === 1 ? rest.wx[0] : "[" + rest.wx.join(", ") + "]"}; all together ${K === 1 ? r.wx[0] : "[" + r.wx.join(", ") + "]"}.`;
    // bars of the contributions (to the logit of the row's class for several outputs)
    const k = K === 1 ? 0 : Math.max(0, R.outputs.indexOf(r.label));
    const vals = r.features.map((f) => parseFloat(f[2][k]));
    const lim = Math.max(1e-12, ...vals.map((v) => Math.abs(v) || 0));
    const Wd = 540, rowH = 18, H = 34 + rowH * vals.length, ml = 270;
    const X = (v) => ml + ((v + lim) / (2 * lim)) * (Wd - ml - 14);
    const svg = s("svg", { width: Wd, height: H, id: "chart-contrib" });
    svg.append(s("text", { x: 4, y: 13, "font-size": 12, "font-weight": 600,
      text: K === 1 ? "w_j x_j, contribution to z" : `W_jk x_j, contribution to z[${short(R.outputs[k], 10)}] (the row's class)` }));
    svg.append(s("line", { x1: X(0), x2: X(0), y1: 20, y2: H - 4, stroke: "#333" }));
    vals.forEach((v, i) => {
      const y = 22 + i * rowH;
      svg.append(s("text", { x: ml - 6, y: y + 11, "text-anchor": "end", "font-size": 11, text: `${short(R.names[r.features[i][0]], 28)} (x=${r.features[i][1]})` }));
      if (Number.isFinite(v)) svg.append(s("rect", { x: Math.min(X(0), X(v)), y, width: Math.abs(X(v) - X(0)), height: rowH - 4, fill: v >= 0 ? BLUE : "#d9731a" }));
    });
    $("contrib-svg").replaceChildren(svg);
  }

  // -- 5. the learning-rate story ----------------------------------------------------------
  function story() {
    const st = D.story, el = $("story-body");
    if (!st || !st.runs || !st.runs.length) { el.append(h("p", { class: "note", text: st && st.note ? st.note : "Not computed." })); return; }
    const runColor = { "automatic: 1/L": BLUE, "too small": "#2a8c4a", "too large": "#d9731a", "far too large": RED };
    el.append(h("blockquote", null, `“${st.quote}” (seed 001)`),
      h("p", { class: "lead", text: `Gradient descent w ← w − η ∂J/∂w, b ← b − η ∂J/∂b on ${st.rows} rows, from w = 0, ` +
        `${st.n_iter} iterations at most. The rate chosen automatically is η = 1/L = ${st.eta}, with L a bound on the ` +
        "curvature of the loss (the largest eigenvalue of [X 1]ᵀ[X 1] / m, times 1/4 for the sigmoid and 1/2 for the softmax, plus the L2 penalty), so that every step lowers the loss." }));
    const start = Math.max(...st.runs.map((r) => r.loss[0]));
    const lows = st.runs.flatMap((r) => r.loss.filter(Number.isFinite));
    const opt = st.optimum === null ? null : Number(st.optimum);
    const lo = Math.min(...lows, opt === null ? Infinity : opt);
    const ylim = [lo - (start - lo) * 0.05, start + (start - lo) * 0.6];
    const series = st.runs.map((r) => ({ x: r.iteration, y: r.loss, color: runColor[r.kind] || GREY, label: `${r.kind}: η = ${r.rate}` }));
    if (opt !== null) series.push({ x: [], y: [], color: GREY, label: `fitted model: ${st.optimum} (dashed)` });
    el.append(h("div", { class: "row" },
      h("div", { class: "card" }, chart({ id: "chart-story", title: "loss per iteration, one curve per learning rate",
        xlabel: "iteration", ylabel: "loss (objective)", ylim, hline: opt, width: 560, height: 340, series })),
      h("div", { class: "card" }, chart({ id: "chart-story-grad", title: "max |gradient| (log scale)", xlabel: "iteration",
        ylabel: "max |gradient|", logy: true, hline: st.tol, width: 460, height: 340,
        series: st.runs.map((r) => ({ x: r.iteration, y: r.grad_norm, color: runColor[r.kind] || GREY })) }))));
    el.append(table(["learning rate", "η", "× 1/L", "iterations", "final loss", "what happened"], st.runs.map((r) =>
      h("tr", null, h("td", null, h("span", { style: `color:${runColor[r.kind] || GREY};font-weight:600`, text: r.kind })),
        h("td", { class: "num", text: r.rate }), h("td", { class: "num", text: r.multiple }),
        h("td", { class: "num", text: String(r.iterations) }), h("td", { class: "num", text: r.final_loss }),
        h("td", { style: "text-align:left;max-width:560px", text: r.status }))), { id: "story-table" }));
    const off = st.runs.filter((r) => r.loss.some((v) => v > ylim[1]));
    if (off.length) el.append(h("p", { class: "note", text: `${off.map((r) => r.kind).join(", ")}: the loss leaves the top of the chart (its values are in the table).` }));
    if (st.note) el.append(h("p", { class: "note", text: st.note }));
  }

  header();
  fit();
  quality();
  coefficients();
  graphSection();
  story();
  document.body.setAttribute("data-ready", "1");
})();
