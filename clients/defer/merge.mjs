// Folds incremental-delivery parts into one result, as Apollo Client and urql do: each part's
// `incremental` entries carry data to merge at their path.
export function mergeParts(parts) {
  const [first, ...rest] = parts;
  const result = { data: structuredClone(first.data), errors: [...(first.errors ?? [])] };
  for (const part of rest) {
    for (const inc of part.incremental ?? []) {
      let target = result.data;
      for (const key of inc.path ?? []) target = target?.[key];
      if (target && inc.data) deepMerge(target, inc.data);
      result.errors.push(...(inc.errors ?? []));
    }
  }
  if (result.errors.length === 0) delete result.errors;
  return result;
}

function deepMerge(target, source) {
  for (const [k, v] of Object.entries(source)) {
    if (v && typeof v === 'object' && !Array.isArray(v) && target[k] && typeof target[k] === 'object') deepMerge(target[k], v);
    else target[k] = v;
  }
}
