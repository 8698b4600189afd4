/**
 * The engine's failures, in Azure Resource Manager's words.
 *
 * A template Azure refuses answers HTTP 400 with
 * `{"error": {"code": "InvalidTemplate", "message": "Deployment template
 * validation failed: '…'.", "additionalInfo": [{"type": "TemplateViolation",
 * "info": {"lineNumber", "linePosition", "path"}}]}}`. Messages quote names
 * and positions from the template, never a parameter's value: a secure value
 * cannot leak through an error.
 */

/** Where in the JSON a node starts: 1-based line and column, and its path from the request body. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly path: string;
}

export interface ArmErrorBody {
  readonly code: string;
  readonly message: string;
  readonly target?: string;
  readonly details?: readonly ArmErrorBody[];
  readonly additionalInfo?: readonly {
    type: string;
    info: { lineNumber: number; linePosition: number; path: string };
  }[];
}

/** A template or parameters file that Azure would refuse before changing anything. */
export class TemplateError extends Error {
  readonly code: string;
  readonly position: Position | undefined;
  constructor(code: string, message: string, position?: Position) {
    super(message);
    this.name = "TemplateError";
    this.code = code;
    this.position = position;
  }
  /** The body of ARM's error answer. */
  toArmError(): ArmErrorBody {
    const at = this.position ?? { line: 0, column: 0, path: "" };
    return {
      code: this.code,
      message: this.message,
      additionalInfo: [
        { type: "TemplateViolation", info: { lineNumber: at.line, linePosition: at.column, path: at.path } },
      ],
    };
  }
}

/** A failure inside one expression; the section that evaluated it adds its name and position. */
export class ExpressionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExpressionError";
  }
}

const at = (position: Position | undefined) =>
  position ? ` at line '${position.line}' and column '${position.column}'` : "";

/** ARM's wrapper around every validation message. */
export const invalidTemplate = (message: string, position?: Position) =>
  new TemplateError("InvalidTemplate", `Deployment template validation failed: '${message}'.`, position);

/** A section of the template (resource, variable, parameter, output) with a fault inside it. */
export const invalidSection = (
  section: "resource" | "variable" | "parameter" | "output",
  name: string,
  detail: string,
  position?: Position,
) =>
  invalidTemplate(
    `The template ${section} '${name}'${at(position)} is not valid: ${detail}. Please see https://aka.ms/arm-functions for usage details.`,
    position,
  );

/** The error a section's evaluation failure becomes, whatever threw it. */
export function sectionError(
  section: "resource" | "variable" | "parameter" | "output",
  name: string,
  error: unknown,
  position?: Position,
): TemplateError {
  // Signals of the runtime (a value to look up, a value not known yet) are no faults: they pass through.
  if (!(error instanceof Error)) throw error;
  if (error instanceof TemplateError) return error;
  if (error instanceof ExpressionError) return invalidSection(section, name, error.message, position);
  // A fault of the engine itself: say so in Azure's words, with no stack and no detail.
  return new TemplateError("InternalServerError", "Encountered internal server error. Please try again.", position);
}

export const unknownFunction = (name: string) => new ExpressionError(`The template function '${name}' is not valid`);

export const notExpectedHere = (name: string) =>
  new ExpressionError(`The template function '${name}' is not expected at this location`);

export const wrongArgumentCount = (name: string, min: number, max: number) =>
  new ExpressionError(
    min === max
      ? `Unable to evaluate template language function '${name}': function requires ${min} argument(s)`
      : max === Number.POSITIVE_INFINITY
        ? `Unable to evaluate template language function '${name}': function requires at least ${min} argument(s)`
        : `Unable to evaluate template language function '${name}': function requires ${min} to ${max} argument(s)`,
  );

export const wrongArgumentType = (name: string, expected: string, actual: string) =>
  new ExpressionError(
    `Unable to evaluate template language function '${name}': the argument is of type '${actual}', expected '${expected}'`,
  );

/** A message for a refusal of this sandbox (not of Azure): a feature it does not carry out. */
export const notSupported = (what: string, position?: Position) =>
  invalidTemplate(
    `${what}${at(position)} is not supported by this sandbox, which refuses it rather than skip it.`,
    position,
  );

export const missingDependency = (name: string, position?: Position) =>
  invalidTemplate(
    `The resource '${name}' is not defined in the template. Please see https://aka.ms/arm-syntax for usage details.`,
    position,
  );

export const circularDependency = (id: string, position?: Position) =>
  invalidTemplate(
    `Circular dependency detected on resource: '${id}'. Please see https://aka.ms/arm-syntax-resources for usage details.`,
    position,
  );

/** The deployment's own error when a resource failed: the operation's error is its detail. */
export const deploymentFailed = (details: ArmErrorBody[]): ArmErrorBody => ({
  code: "DeploymentFailed",
  message:
    "At least one resource deployment operation failed. Please list deployment operations for details. Please see https://aka.ms/arm-deployment-operations for usage details.",
  details,
});
