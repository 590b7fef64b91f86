// The API docs page: asks for a token (or reuses the board's, kept for this
// tab), fetches /openapi.json with it and renders the operations and schemas.
// Built with DOM calls and textContent only: nothing from the description is
// ever parsed as HTML.
const TOKEN_KEY = "edflow.token"; // the board's key: one sign-in per tab
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function typeOf(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.oneOf) return schema.oneOf.map(typeOf).join(" | ");
  if (schema.allOf) return schema.allOf.map(typeOf).join(" & ");
  if (schema.type === "array") return `${typeOf(schema.items)}[]`;
  if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
  const extra = [schema.format, schema.pattern && `pattern ${schema.pattern}`].filter(Boolean);
  return (schema.type || "any") + (extra.length ? ` (${extra.join(", ")})` : "");
}

function table(headings, rows) {
  const head = el("tr", {}, ...headings.map((h) => el("th", {}, h)));
  return el("table", {}, head, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c)))));
}

function operation(path, method, op) {
  const summary = el(
    "summary", {},
    el("span", { class: `method ${method}` }, method.toUpperCase()), " ",
    el("span", { class: "path" }, path), " ",
    el("span", { class: "muted" }, op.summary || ""),
  );
  const body = [];
  if (op.description) body.push(el("p", {}, op.description));
  const params = op.parameters || [];
  if (params.length) {
    body.push(table(["parameter", "in", "required", "type"],
      params.map((p) => [p.name, p.in, p.required ? "yes" : "", typeOf(p.schema)])));
  }
  const content = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
  if (content) body.push(el("p", {}, "Body: ", el("code", {}, typeOf(content.schema))));
  const responses = Object.entries(op.responses || {});
  if (responses.length) {
    body.push(table(["status", "meaning"], responses.map(([code, r]) => [code, r.description || ""])));
  }
  return el("details", { class: "op" }, summary, ...body);
}

function render(spec) {
  $("description").replaceChildren(
    el("h2", {}, `${spec.info.title} ${spec.info.version}`),
    el("p", {}, spec.info.description || ""),
  );
  const byTag = new Map();
  for (const [path, methods] of Object.entries(spec.paths || {})) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = (op.tags && op.tags[0]) || "other";
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(path, method, op));
    }
  }
  const sections = [];
  const links = [];
  for (const [tag, ops] of byTag) {
    links.push(el("a", { href: `#tag-${tag}` }, tag));
    sections.push(el("h2", { id: `tag-${tag}` }, tag), ...ops);
  }
  $("toc").replaceChildren(...links);
  $("operations").replaceChildren(...sections);
  const schemas = Object.entries((spec.components && spec.components.schemas) || {});
  $("schemas").replaceChildren(...schemas.map(([name, schema]) => {
    const required = new Set(schema.required || []);
    const rows = Object.entries(schema.properties || {}).map(([field, s]) => [
      field, typeOf(s), required.has(field) ? "yes" : "", s.description || "",
    ]);
    return el("div", { class: "schema", id: `schema-${name}` }, el("h3", {}, name),
      rows.length ? table(["field", "type", "required", "description"], rows) : el("p", {}, typeOf(schema)));
  }));
}

async function show(token) {
  const response = await fetch("/openapi.json", { headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) {
    let reason = `${response.status}`;
    try { reason = (await response.json()).error.message || reason; } catch { /* not our error body */ }
    sessionStorage.removeItem(TOKEN_KEY);
    signInForm(`Not accepted: ${reason}`);
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, token);
  render(await response.json());
  $("login").hidden = true;
  $("docs").hidden = false;
  $("sign-out").hidden = false;
}

function signInForm(message = "") {
  $("docs").hidden = true;
  $("sign-out").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message;
}

$("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  show($("token").value.trim());
});
$("sign-out").addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  signInForm();
});
const kept = sessionStorage.getItem(TOKEN_KEY);
if (kept) show(kept); else signInForm();
