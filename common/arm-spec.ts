/**
 * An arm of a comparison (and, later, of the CI gate): a model plus the options it runs with,
 * written `model[:key=value[:key=value…]]`, e.g. `actor`, `actor:policy=drop`,
 * `mutex:lock=async-mutex`, `mutex:policy=disconnect:timeout=0.5`. Arms are separated by commas in
 * `--models`. A key is one of the model's own options (its catalog entry lists them) or one of
 * ARM_OPTIONS, each mapping to one bench option; the label of an arm in every report is its normalised spec, so two arms
 * always read differently when they run differently.
 */
import { isModelName, MODEL_NAMES, modelDescriptor, modelOptionProblems, type ModelName } from './models.ts';
import { isSlowConsumerPolicyName, MAX_SLOW_CONSUMER_TIMEOUT_S, MIN_SLOW_CONSUMER_TIMEOUT_S, SLOW_CONSUMER_POLICIES } from './slow-consumer-policy.ts';
import { Problems } from './usage.ts';

/** The options an arm may carry: its key, the bench option it sets (typed by `value`), and what it accepts. */
export const ARM_OPTIONS = {
  policy: { benchOption: 'slowConsumerPolicy', value: (v: string): string => v, describe: `a slow-consumer policy, one of ${SLOW_CONSUMER_POLICIES.join(', ')}`, valid: isSlowConsumerPolicyName },
  timeout: {
    benchOption: 'slowConsumerTimeoutSeconds',
    value: (v: string): number => Number(v),
    describe: `the seconds a full queue may last before policy=disconnect closes its client, from ${MIN_SLOW_CONSUMER_TIMEOUT_S} to ${MAX_SLOW_CONSUMER_TIMEOUT_S}`,
    valid: (v: string) => v.trim() !== '' && Number(v) >= MIN_SLOW_CONSUMER_TIMEOUT_S && Number(v) <= MAX_SLOW_CONSUMER_TIMEOUT_S,
  },
} as const;

export type ArmOptionKey = keyof typeof ARM_OPTIONS;

export interface ArmSpec {
  readonly model: ModelName;
  /** The model's own options (e.g. lock=async-mutex for mutex), in the order its catalog entry lists them. */
  readonly modelOptions: Readonly<Record<string, string>>;
  /** The arm's bench options, in the order of ARM_OPTIONS. */
  readonly options: Readonly<Partial<Record<ArmOptionKey, string>>>;
  /** `model[:key=value…]`, normalised: the arm's label. */
  readonly label: string;
}

const isArmOptionKey = (key: string): key is ArmOptionKey => Object.hasOwn(ARM_OPTIONS, key);

/** Parses one arm; every problem in it is named. */
export function parseArmSpec(text: string): ArmSpec {
  const [model = '', ...pairs] = text.split(':').map((part) => part.trim());
  const problems = new Problems();
  const where = `arm '${text}'`;
  if (!isModelName(model)) problems.add('ERR_UNKNOWN_MODEL', `${where}: the model must be one of ${MODEL_NAMES.join(', ')}, got '${model}'`);
  const options: Partial<Record<ArmOptionKey, string>> = {};
  const modelOptions: Record<string, string> = {};
  const modelKeys = isModelName(model) ? modelDescriptor(model).options.map((o) => o.name) : [];
  for (const pair of pairs) {
    const [key = '', value, ...rest] = pair.split('=').map((part) => part.trim());
    if (modelKeys.includes(key)) {
      if (modelOptions[key] !== undefined) problems.add('ERR_BAD_OPTION', `${where}: ${key} is given twice`);
      else for (const problem of modelOptionProblems(modelDescriptor(model as ModelName), { [key]: [value, ...rest].join('=') }, where)) problems.add('ERR_BAD_OPTION', problem);
      modelOptions[key] = [value, ...rest].join('=');
    } else if (!isArmOptionKey(key)) {
      const takes = [...modelKeys, ...Object.keys(ARM_OPTIONS)].map((k) => `${k}=…`).join(', ');
      problems.add('ERR_BAD_OPTION', `${where}: unknown option '${key}'; an arm${modelKeys.length > 0 ? ` of ${model}` : ''} takes ${takes}`);
    } else if (value === undefined || rest.length > 0 || !ARM_OPTIONS[key].valid(value)) {
      problems.add('ERR_BAD_OPTION', `${where}: ${key} must be ${ARM_OPTIONS[key].describe}, got '${[value, ...rest].join('=')}'`);
    } else if (options[key] !== undefined) {
      problems.add('ERR_BAD_OPTION', `${where}: ${key} is given twice`);
    } else {
      options[key] = value;
    }
  }
  // Only when the policy itself is fine: a misspelt policy is reported once, as itself.
  const policyGiven = pairs.some((p) => p.split('=')[0]!.trim() === 'policy');
  if (options.timeout !== undefined && options.policy !== 'disconnect' && (options.policy !== undefined || !policyGiven)) problems.add('ERR_BAD_OPTION', `${where}: timeout applies to policy=disconnect only`);
  problems.throwIfAny();
  const ordered = Object.fromEntries((Object.keys(ARM_OPTIONS) as ArmOptionKey[]).filter((k) => options[k] !== undefined).map((k) => [k, options[k]!]));
  const orderedModel = Object.fromEntries(modelKeys.filter((k) => modelOptions[k] !== undefined).map((k) => [k, modelOptions[k]!]));
  const label = [model, ...Object.entries(orderedModel).map(([k, v]) => `${k}=${v}`), ...Object.entries(ordered).map(([k, v]) => `${k}=${v}`)].join(':');
  return { model: model as ModelName, modelOptions: orderedModel, options: ordered, label };
}

/** Parses `--models`: comma-separated arms, at least two; every problem of every arm is named. */
export function parseArmList(text: string, flag = '--models'): ArmSpec[] {
  const problems = new Problems();
  const arms = text.split(',').map((part) => problems.check(() => parseArmSpec(part), undefined));
  if (arms.length < 2) problems.add('ERR_BAD_OPTION', `${flag} needs at least two arms to compare, got '${text}'`);
  problems.throwIfAny();
  return arms as ArmSpec[];
}

/** The bench options an arm sets, typed (keys of the bench's options: slowConsumerPolicy, slowConsumerTimeoutSeconds). */
export function armBenchOptions(arm: ArmSpec): Record<string, string | number | Record<string, string>> {
  const bench: Record<string, string | number | Record<string, string>> = Object.fromEntries(Object.entries(arm.options).map(([k, v]) => [ARM_OPTIONS[k as ArmOptionKey].benchOption, ARM_OPTIONS[k as ArmOptionKey].value(v)]));
  if (Object.keys(arm.modelOptions).length > 0) bench.modelOptions = { ...arm.modelOptions };
  return bench;
}
