import './.config/jest-setup';

// Grafana's comboboxes size their input from canvas text metrics and render
// their option lists through a virtualiser that needs a measured box; jsdom
// has neither, so give both fixed sizes.
HTMLCanvasElement.prototype.getContext = () => ({ measureText: (text) => ({ width: text.length * 8 }) });
Element.prototype.getBoundingClientRect = () => ({
  x: 0,
  y: 0,
  top: 0,
  left: 0,
  bottom: 400,
  right: 400,
  width: 400,
  height: 400,
  toJSON: () => ({}),
});
Element.prototype.scrollIntoView = () => {};
global.IntersectionObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
};
for (const prop of ['clientWidth', 'clientHeight', 'offsetWidth', 'offsetHeight']) {
  Object.defineProperty(HTMLElement.prototype, prop, { configurable: true, get: () => 400 });
}
