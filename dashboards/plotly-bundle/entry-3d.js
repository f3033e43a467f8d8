// The 3-D view's trace type, loaded only when a page draws one; register it with Plotly.register.
import scatter3d from 'plotly.js/lib/scatter3d';
export default scatter3d;
