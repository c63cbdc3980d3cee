/**
 * The imports a TypeScript file runs, read from its syntax tree (tsc's parser): shared by the tests
 * that check which code imports which (test/import-direction.test.ts, test/workflows-static.test.ts).
 */
import ts from 'typescript';

/** Every runtime import or re-export in a file: its specifier and line. */
export function runtimeImports(file: string, text: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined): void => {
    if (specifier && ts.isStringLiteral(specifier)) found.push({ specifier: specifier.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const visit = (node: ts.Node): void => {
    // Under verbatimModuleSyntax (tsconfig) only `import type` vanishes: `import { type X }` still loads the module.
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      add(node, node.moduleSpecifier);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly) {
      add(node, node.moduleSpecifier);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}
