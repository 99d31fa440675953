/**
 * The language a widget speaks: the caller's choice, else the page's <html lang>.
 * Vietnamese unless the page says English (giaoviec is Vietnamese first).
 */
export function pageLanguage(explicit) {
  var lang = explicit || (typeof document !== 'undefined' && document.documentElement.lang) || 'vi';
  return /^en\b/i.test(lang) ? 'en' : 'vi';
}

/** Pick the text for a language from a {vi, en} pair. */
export function pick(texts, language) {
  return language === 'en' ? texts.en : texts.vi;
}
