// Whether inline completions are wanted for a document: the global switch (the server's
// completion.enabled setting) and the per-language map `openagent.client.completionLanguages`.

export type LanguageSwitches = Record<string, boolean>;

export function languageEnabled(languageId: string, languages: LanguageSwitches): boolean {
  if (Object.prototype.hasOwnProperty.call(languages, languageId)) {
    return languages[languageId] === true;
  }
  return languages['*'] !== false;
}

export function completionsEnabledFor(languageId: string, globalEnabled: boolean, languages: LanguageSwitches): boolean {
  return globalEnabled && languageEnabled(languageId, languages);
}

/** The map after the status-bar toggle flips one language. */
export function toggledLanguage(languages: LanguageSwitches, languageId: string): LanguageSwitches {
  return { ...languages, [languageId]: !languageEnabled(languageId, languages) };
}
