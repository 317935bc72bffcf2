import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  /** Deepest nesting of selection sets (fragments followed). */
  readonly maxDepth: number;
  /** Aliased fields in one operation: aliases multiply work on one field. */
  readonly maxAliases: number;
  /** Fields in one operation, counting each use of a fragment. */
  readonly maxFields: number;
}

/**
 * A validation rule that refuses operations deeper, wider or more aliased than the limits, before
 * anything runs. Introspection (`__schema`, `__type`) is bounded by the schema itself and not counted,
 * so tools like Apollo Sandbox keep working where introspection is on.
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const fragments = new Map<string, FragmentDefinitionNode>(
        context
          .getDocument()
          .definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
          .map((fragment) => [fragment.name.value, fragment]),
      );
      let fields = 0;
      let aliases = 0;
      let deepest = 0;
      const walk = (set: SelectionSetNode, depth: number, visiting: ReadonlySet<string>): void => {
        deepest = Math.max(deepest, depth);
        // Stop early: a hostile operation must not cost much even to refuse.
        if (fields > limits.maxFields || depth > limits.maxDepth) return;
        for (const selection of set.selections) {
          if (selection.kind === Kind.FIELD) {
            if (selection.name.value === '__schema' || selection.name.value === '__type') continue;
            fields++;
            if (selection.alias) aliases++;
            if (selection.selectionSet) walk(selection.selectionSet, depth + 1, visiting);
          } else if (selection.kind === Kind.INLINE_FRAGMENT) {
            walk(selection.selectionSet, depth, visiting);
          } else {
            const name = selection.name.value;
            const fragment = fragments.get(name);
            // Cycles are reported by graphql's own NoFragmentCycles rule.
            if (fragment && !visiting.has(name))
              walk(fragment.selectionSet, depth, new Set([...visiting, name]));
          }
        }
      };
      walk(operation.selectionSet, 1, new Set());
      const report = (what: string, value: number, limit: number) =>
        context.reportError(
          new GraphQLError(`The operation's ${what} (${value}) is over the limit of ${limit}.`, {
            nodes: operation,
          }),
        );
      if (deepest > limits.maxDepth) report('depth', deepest, limits.maxDepth);
      if (aliases > limits.maxAliases) report('number of aliases', aliases, limits.maxAliases);
      if (fields > limits.maxFields) report('number of fields', fields, limits.maxFields);
    },
  });
}
