// Every string and list a request schema accepts has a maximum (docs/security.md, "Bounded inputs"): a
// text() or z.array() chain must call .max() or .length() somewhere along it. A schema value kept in a
// variable is checked where it is built, so `const origin = text().trim()` is refused even if a caller
// would bound it later. Response schemas describe what the server writes and use responseText().

/** Calls that build an unbounded schema, by how they are spelled: text(), z.string(), z.array(). */
function builderKind(call) {
  const callee = call.callee;
  if (callee.type === "Identifier" && callee.name === "text") return "string";
  if (callee.type === "MemberExpression" && callee.object.type === "Identifier" && callee.object.name === "z" && callee.property.type === "Identifier") {
    if (callee.property.name === "string") return "string";
    if (callee.property.name === "array") return "array";
  }
  return null;
}

/** Names of the methods chained onto `call`: text().trim().max(9) → ["trim", "max"]. */
function chainedMethods(call) {
  const names = [];
  let node = call;
  while (
    node.parent?.type === "MemberExpression" &&
    node.parent.object === node &&
    node.parent.property.type === "Identifier" &&
    node.parent.parent?.type === "CallExpression" &&
    node.parent.parent.callee === node.parent
  ) {
    names.push(node.parent.property.name);
    node = node.parent.parent;
  }
  return names;
}

const BOUNDING_METHODS = new Set(["max", "length"]);

export default {
  meta: {
    type: "problem",
    docs: { description: "Request schemas give every string and array a maximum" },
    messages: {
      string: "This string schema has no maximum: chain .max(n), from the relay protocol's Limits where one applies",
      array: "This array schema has no maximum: chain .max(n)",
    },
    schema: [],
  },
  create(context) {
    return {
      CallExpression(call) {
        const kind = builderKind(call);
        if (kind === null) return;
        if (chainedMethods(call).some((name) => BOUNDING_METHODS.has(name))) return;
        context.report({ node: call, messageId: kind });
      },
    };
  },
};
