// Module hooks so Node can load improv-wifi-serial-sdk's browser build as it is published: its dist/ files are
// ES modules in a package without "type": "module", and they import siblings without the ".js" extension (a
// bundler resolves both; Node does not). Only that package's files are touched.
const SDK = "/node_modules/improv-wifi-serial-sdk/";

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (error) {
    const fromSdk = context.parentURL && context.parentURL.includes(SDK);
    if (fromSdk && specifier.startsWith(".") && !specifier.endsWith(".js")) {
      return nextResolve(specifier + ".js", context);
    }
    throw error;
  }
}

export async function load(url, context, nextLoad) {
  if (url.includes(SDK + "dist/")) return nextLoad(url, { ...context, format: "module" });
  return nextLoad(url, context);
}
