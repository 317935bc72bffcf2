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
  /**
   * Documents the server itself runs (the Graph route's createNotification), by their exact text: their
   * shape is fixed and cheap, and a client of that route cannot change it, so limits set for clients'
   * operations must not refuse them. The same text sent by a client costs the same and is let through too.
   */
  readonly exemptDocuments?: ReadonlySet<string>;
}

interface Totals {
  /** Fields outside introspection. */
  readonly fields: number;
  /** Aliased fields anywhere, introspection included. */
  readonly aliases: number;
  /** Levels of selection sets below (1 for a set of leaf fields), outside introspection. */
  readonly depth: number;
  /** Introspection root fields (`__schema`, `__type`). */
  readonly introspectionRoots: number;
  /** Introspection root fields and every field selected below them. */
  readonly introspectionFields: number;
}

/**
 * Introspection's own budget, fixed (development only: production refuses introspection). graphql-js's
 * `getIntrospectionQuery()` with every option Apollo Sandbox may set selects one root field and 230
 * fields below it (typeDepth 9; 428 at typeDepth 20). graphql-js already refuses introspection lists
 * nested three deep (MaxIntrospectionDepthRule), so the cost of an introspection query grows with how many
 * roots and fields it has: each `__schema` alias made the whole schema again (572 of them: 15.7 MB, 4.7 s).
 */
export const INTROSPECTION_LIMITS = { maxRoots: 2, maxFields: 500 } as const;

const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type']);

// Counts saturate here: a document that spreads fragments into each other can describe astronomically
// many fields, and the arithmetic must stay exact enough to compare and cheap to do.
const SATURATED = 1e9;
const add = (a: number, b: number) => Math.min(SATURATED, a + b);

/**
 * A validation rule that refuses operations deeper, wider or more aliased than the limits, before
 * anything runs. Each fragment's totals are computed once and reused at every spread, so the rule's
 * own cost is linear in the document's size whatever the document expands to. Introspection (`__schema`,
 * `__type` and what is selected below them) is counted against {@link INTROSPECTION_LIMITS} instead of
 * the depth and field limits, so Apollo Sandbox's introspection query passes in development; its aliases
 * count as any others. Production refuses introspection altogether.
 */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const source = context.getDocument().loc?.source.body;
    if (source !== undefined && limits.exemptDocuments?.has(source)) return {};
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const memo = new Map<string, Totals>();
    const none: Totals = { fields: 0, aliases: 0, depth: 0, introspectionRoots: 0, introspectionFields: 0 };

    const fragmentTotals = (name: string, visiting: ReadonlySet<string>): Totals => {
      const known = memo.get(name);
      if (known) return known;
      const fragment = fragments.get(name);
      // Unknown fragments and cycles are reported by graphql's own rules; they count for nothing here.
      if (!fragment || visiting.has(name)) return none;
      const totals = setTotals(fragment.selectionSet, new Set([...visiting, name]));
      memo.set(name, totals);
      return totals;
    };

    const setTotals = (set: SelectionSetNode, visiting: ReadonlySet<string>): Totals => {
      let fields = 0;
      let aliases = 0;
      let depth = 1;
      let introspectionRoots = 0;
      let introspectionFields = 0;
      for (const selection of set.selections) {
        let inner = none;
        if (selection.kind === Kind.FIELD) {
          if (selection.alias) aliases = add(aliases, 1);
          const below = selection.selectionSet ? setTotals(selection.selectionSet, visiting) : none;
          if (INTROSPECTION_ROOTS.has(selection.name.value)) {
            // Everything below counts as introspection (its fields are the schema's, not the app's).
            inner = {
              ...none,
              aliases: below.aliases,
              introspectionRoots: add(1, below.introspectionRoots),
              introspectionFields: add(1, add(below.fields, below.introspectionFields)),
            };
          } else {
            fields = add(fields, 1);
            if (selection.selectionSet) inner = { ...below, depth: below.depth + 1 };
          }
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          inner = setTotals(selection.selectionSet, visiting);
        } else {
          inner = fragmentTotals(selection.name.value, visiting);
        }
        fields = add(fields, inner.fields);
        aliases = add(aliases, inner.aliases);
        depth = Math.max(depth, inner.depth);
        introspectionRoots = add(introspectionRoots, inner.introspectionRoots);
        introspectionFields = add(introspectionFields, inner.introspectionFields);
      }
      return { fields, aliases, depth, introspectionRoots, introspectionFields };
    };

    return {
      OperationDefinition(operation) {
        const totals = setTotals(operation.selectionSet, new Set());
        const report = (what: string, value: number, limit: number) =>
          context.reportError(
            new GraphQLError(
              `The operation's ${what} (${value >= SATURATED ? 'too many' : value}) is over the limit of ${limit}.`,
              {
                nodes: operation,
              },
            ),
          );
        if (totals.depth > limits.maxDepth) report('depth', totals.depth, limits.maxDepth);
        if (totals.aliases > limits.maxAliases)
          report('number of aliases', totals.aliases, limits.maxAliases);
        if (totals.fields > limits.maxFields) report('number of fields', totals.fields, limits.maxFields);
        if (totals.introspectionRoots > INTROSPECTION_LIMITS.maxRoots)
          report(
            'number of introspection root fields (__schema, __type)',
            totals.introspectionRoots,
            INTROSPECTION_LIMITS.maxRoots,
          );
        if (totals.introspectionFields > INTROSPECTION_LIMITS.maxFields)
          report(
            'number of introspection fields',
            totals.introspectionFields,
            INTROSPECTION_LIMITS.maxFields,
          );
      },
    };
  };
}
