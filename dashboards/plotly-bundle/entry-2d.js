// dse's plotly.js: the core with the 2-D trace types the dashboard draws (scatter is in the core).
import Plotly from 'plotly.js/lib/core';
import bar from 'plotly.js/lib/bar';
import box from 'plotly.js/lib/box';
import scattergl from 'plotly.js/lib/scattergl';
Plotly.register([bar, box, scattergl]);
export default Plotly;
