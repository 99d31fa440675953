/**
 * charts bundle: window.Chart (Chart.js with every chart type registered) and
 * window.GvCharts, which draws `<canvas data-gv-chart='{Chart.js config as JSON}'>` without
 * page script. Numbers and dates follow the page's language. See webui/static/vendor/README.md.
 */
import Chart from 'chart.js/auto';

import { announce, autoMount, jsonAttribute, showError } from '../shared/auto-mount';

Chart.defaults.locale = document.documentElement.lang || 'vi';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';
if (window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches) {
  Chart.defaults.animation = false;
}

/** Draw the chart a canvas describes; a canvas is an image to assistive technology. */
function mount(canvas) {
  var config;
  try {
    config = jsonAttribute(canvas, 'data-gv-chart', null);
  } catch (error) {
    showError(canvas.parentNode, 'Không vẽ được biểu đồ.', 'The chart could not be drawn.', error);
    announce(canvas, 'chart-error', { error: error });
    return null;
  }
  if (!canvas.hasAttribute('role')) {
    canvas.setAttribute('role', 'img');
  }
  var title = config && config.options && config.options.plugins && config.options.plugins.title;
  if (!canvas.hasAttribute('aria-label') && title && title.text) {
    canvas.setAttribute('aria-label', [].concat(title.text).join(' '));
  }
  var chart = new Chart(canvas, config);
  canvas.gvChart = chart;
  announce(canvas, 'chart-ready', { chart: chart });
  return chart;
}

var mountAll = autoMount('canvas[data-gv-chart]', mount);

window.Chart = Chart;

export { Chart, mount, mountAll };
