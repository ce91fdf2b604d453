import ts from 'typescript';

/** One module specifier found in a source file. */
export interface ImportRef {
  specifier: string;
  line: number;
  /** True for `import type` / `export type ... from`: erased at runtime, but still a dependency. */
  typeOnly: boolean;
}

/**
 * Module specifiers of a TypeScript file: static imports and re-exports, side-effect imports,
 * dynamic `import('x')` and `import x = require('x')`. Parsed with the TypeScript compiler, so
 * import-like text inside strings and comments is not mistaken for an import.
 */
export function findImports(source: string, fileName = 'file.ts'): ImportRef[] {
  const file = ts.createSourceFile(
    fileName,
    source,
    ts.ScriptTarget.Latest,
    true,
    ts.ScriptKind.TS,
  );
  const refs: ImportRef[] = [];
  const add = (literal: ts.Node, typeOnly: boolean): void => {
    if (!ts.isStringLiteralLike(literal)) return;
    const line = file.getLineAndCharacterOfPosition(literal.getStart(file)).line + 1;
    refs.push({ specifier: literal.text, line, typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const allTypeNamed =
        clause !== undefined &&
        !clause.name &&
        clause.namedBindings !== undefined &&
        ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 &&
        clause.namedBindings.elements.every((e) => e.isTypeOnly);
      add(node.moduleSpecifier, Boolean(clause?.isTypeOnly) || allTypeNamed);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference)
    ) {
      add(node.moduleReference.expression, node.isTypeOnly);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined
    ) {
      add(node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return refs;
}

/** `@kubets/raft/testing` -> `@kubets/raft`; `node:fs` -> undefined (not a workspace package). */
export function kubetsPackageOf(specifier: string): string | undefined {
  const m = /^(@kubets\/[^/]+)/.exec(specifier);
  return m?.[1];
}
