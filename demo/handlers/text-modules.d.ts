// esbuild's default loaders bundle `.txt` imports as their text (the OCR handler embeds its
// character list this way, so the dictionary ships inside the handler module).
declare module '*.txt' {
  const text: string;
  export default text;
}
