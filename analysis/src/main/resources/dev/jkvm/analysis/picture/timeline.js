// jkvm timeline: draws the embedded data (times in ns from the window's start) on one canvas.
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('data').textContent);
  var canvas = document.getElementById('lanes');
  var tip = document.getElementById('tip');
  var ctx = canvas.getContext('2d');
  var LEFT = 90, RIGHT = 10, AXIS = 26, LANE = 36;
  var COLORS = ['#2e7d32', '#f9a825', '#cfd8dc'];
  var STATES = ['on CPU', 'runnable', 'blocked'];
  var CLASS_COLORS = ['#1565c0', '#8e24aa', '#d32f2f', '#757575'];
  var CLASSES = ['first run', 'same vCPU resumed', 'from another vCPU', 'unclassified (outside KVM_RUN)'];
  var n = data.lanes.length;
  canvas.height = AXIS + n * LANE + 8;
  var end = Math.max(1, data.t1);
  var view = [0, end];
  document.getElementById('mode').textContent = data.mode === 'exact'
    ? 'Every time slice is drawn (' + n + ' vCPUs).'
    : 'Large run: each lane is cut into ' + (data.lane.length ? data.lane[0].on.length : 0) +
      ' bins; bars show the fraction of each bin spent on CPU, runnable and blocked.';

  function x(t) { return LEFT + (t - view[0]) / (view[1] - view[0]) * (canvas.width - LEFT - RIGHT); }
  function tAt(px) { return view[0] + (px - LEFT) / (canvas.width - LEFT - RIGHT) * (view[1] - view[0]); }
  function ms(t) { return (t / 1e6).toFixed(3); }

  function axis() {
    var span = view[1] - view[0], step = Math.pow(10, Math.floor(Math.log10(span / 8)));
    if (span / step > 16) step *= 5; else if (span / step > 8) step *= 2;
    // As many decimals as the step needs; a label near the right edge ends at its tick (it was cut off).
    var decimals = Math.max(0, -Math.floor(Math.log10(step / 1e6)));
    ctx.fillStyle = '#555'; ctx.font = '11px sans-serif';
    for (var t = Math.ceil(view[0] / step) * step; t <= view[1]; t += step) {
      var px = Math.round(x(t)) + 0.5;
      ctx.fillRect(px, AXIS - 6, 1, 5);
      ctx.textAlign = px > canvas.width - 40 ? 'right' : 'center';
      ctx.fillText((t / 1e6).toFixed(decimals) + ' ms', px, AXIS - 10);
    }
  }

  function draw() {
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    axis();
    var drawn = { lanes: n, mode: data.mode, onCpu: [], laneCenterY: [], plotLeft: LEFT, plotRight: canvas.width - RIGHT };
    for (var i = 0; i < n; i++) {
      var top = AXIS + i * LANE, lane = data.lane[i], count = 0;
      ctx.fillStyle = '#222'; ctx.textAlign = 'left'; ctx.font = '12px monospace';
      ctx.fillText(data.lanes[i], 4, top + LANE / 2 + 4);
      ctx.save();
      ctx.beginPath(); ctx.rect(LEFT, top, canvas.width - LEFT - RIGHT, LANE); ctx.clip();
      if (data.mode === 'exact') {
        var s = lane.seg;
        for (var k = 0; k < s.length; k += 3) {
          if (s[k + 1] < view[0] || s[k] > view[1]) continue;
          var x0 = Math.round(x(s[k])), x1 = Math.max(x0 + 1, Math.round(x(s[k + 1]))), st = s[k + 2];
          ctx.fillStyle = COLORS[st];
          if (st === 0) { ctx.fillRect(x0, top + 7, x1 - x0, LANE - 14); count++; }
          else if (st === 1) ctx.fillRect(x0, top + 13, x1 - x0, LANE - 26);
          else ctx.fillRect(x0, top + 16, x1 - x0, LANE - 32);
        }
        var m = lane.marks;
        for (k = 0; k < m.length; k += 2) {
          if (m[k] < view[0] || m[k] > view[1]) continue;
          ctx.fillStyle = CLASS_COLORS[m[k + 1]];
          ctx.fillRect(Math.round(x(m[k])), top + 1, 3, 5);
        }
      } else {
        var bins = lane.on.length;
        for (var b = 0; b < bins; b++) {
          var b0 = data.binStart + b * data.binNanos, b1 = b0 + data.binNanos;
          if (b1 < view[0] || b0 > view[1]) continue;
          var bx = Math.round(x(b0)), bw = Math.max(1, Math.round(x(b1)) - bx), h = LANE - 14, y = top + 7 + h;
          var parts = [lane.on[b], lane.runnable[b], lane.blocked[b]];
          for (var p = 0; p < 3; p++) {
            var ph = Math.round(parts[p] * h);
            ctx.fillStyle = COLORS[p]; ctx.fillRect(bx, y - ph, bw, ph); y -= ph;
          }
          if (lane.on[b] > 0) count++;
          if (lane.markBins[b] > 0) { ctx.fillStyle = CLASS_COLORS[2]; ctx.fillRect(bx, top + 1, bw, 4); }
        }
      }
      var e = lane.exits;
      ctx.fillStyle = '#000';
      for (k = 0; k < e.length; k += 2) {
        if (e[k] < view[0] || e[k] > view[1]) continue;
        ctx.fillRect(Math.round(x(e[k])), top + LANE - 6, 1, 5);
      }
      if (lane.exitBins) {
        for (b = 0; b < lane.exitBins.length; b++) {
          if (!lane.exitBins[b]) continue;
          var ex = data.binStart + b * data.binNanos;
          if (ex < view[0] || ex > view[1]) continue;
          ctx.fillRect(Math.round(x(ex)), top + LANE - 6, 1, 5);
        }
      }
      ctx.restore();
      drawn.onCpu.push(count);
      drawn.laneCenterY.push(top + LANE / 2);
    }
    var r = canvas.getBoundingClientRect();
    drawn.canvasLeft = r.left + window.scrollX + 1; // + the 1 px border
    drawn.canvasTop = r.top + window.scrollY + 1;
    document.getElementById('drawn').textContent = JSON.stringify(drawn);
  }

  function describe(i, t) {
    var lane = data.lane[i], name = data.lanes[i];
    if (data.mode !== 'exact') {
      var b = Math.floor((t - data.binStart) / data.binNanos);
      if (b < 0 || b >= lane.on.length) return null;
      return name + '  ' + ms(data.binStart + b * data.binNanos) + ' ms + ' + ms(data.binNanos) + ' ms\n' +
        'on CPU ' + (100 * lane.on[b]).toFixed(1) + ' %, runnable ' + (100 * lane.runnable[b]).toFixed(1) +
        ' %, blocked ' + (100 * lane.blocked[b]).toFixed(1) + ' %\nswitches ' + lane.markBins[b];
    }
    var s = lane.seg, lo = 0, hi = s.length / 3 - 1, found = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (s[mid * 3] <= t) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || s[found * 3 + 1] < t) return null;
    var a = s[found * 3], z = s[found * 3 + 1], text = name + '  ' + STATES[s[found * 3 + 2]] + '\n' + ms(a) + ' – ' + ms(z) +
      ' ms (' + ms(z - a) + ' ms)';
    for (var k = 0; k < lane.marks.length; k += 2) {
      if (lane.marks[k] === a) text += '\nsched-in: ' + CLASSES[lane.marks[k + 1]];
    }
    var exits = 0;
    for (k = 0; k < lane.exits.length; k += 2) if (lane.exits[k] >= a && lane.exits[k] < z) exits++;
    if (lane.exits.length) text += '\nexits: ' + exits;
    return text;
  }

  var drag = null;
  canvas.addEventListener('wheel', function (ev) {
    ev.preventDefault();
    var t = tAt(ev.offsetX), f = ev.deltaY > 0 ? 1.25 : 0.8;
    var a = t - (t - view[0]) * f, b = t + (view[1] - t) * f;
    view = [Math.max(0, a), Math.min(end, Math.max(b, a + 1000))];
    draw();
  }, { passive: false });
  canvas.addEventListener('mousedown', function (ev) { drag = { x: ev.offsetX, view: view.slice() }; canvas.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', function () { drag = null; canvas.style.cursor = 'grab'; });
  canvas.addEventListener('dblclick', function () { view = [0, end]; draw(); });
  canvas.addEventListener('mousemove', function (ev) {
    if (drag) {
      var dt = (ev.offsetX - drag.x) / (canvas.width - LEFT - RIGHT) * (drag.view[1] - drag.view[0]);
      var w = drag.view[1] - drag.view[0], a = Math.min(Math.max(0, drag.view[0] - dt), end - w);
      view = [a, a + w];
      draw();
      return;
    }
    var i = Math.floor((ev.offsetY - AXIS) / LANE), text = i >= 0 && i < n && ev.offsetX >= LEFT ? describe(i, tAt(ev.offsetX)) : null;
    if (!text) { tip.style.display = 'none'; return; }
    tip.textContent = text;
    tip.style.left = (ev.offsetX + 14) + 'px';
    tip.style.top = (ev.offsetY + 14) + 'px';
    tip.style.display = 'block';
  });
  canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  draw();
})();
