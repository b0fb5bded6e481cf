// The helper's photo (issue 14.6): the customer she is assigned to sees it, so she knows who rings
// her doorbell. Shows the current photo, takes a JPEG or PNG of at most 2 MB (checked here first,
// and by the server: PUT /v1/helper/photo), and says in her language what to do when it is not.
import { useEffect, useState } from "preact/hooks";
import { ApiError, call, sessions } from "./api.js";
import { t } from "./i18n.js";
import { Alert, describedBy } from "./ui.jsx";


const MAX = 2 * 1024 * 1024;
const TYPES = ["image/jpeg", "image/png"];
const mb = (n) => (Math.ceil(n / 1024 / 102.4) / 10).toLocaleString(document.documentElement.lang);

// A file's problem in her words, from the file itself or the server's problem code.
function fileProblem(file) {
  if (!file) return t("photo_pick_first");
  if (!TYPES.includes(file.type)) return t("photo_err_type");
  if (file.size === 0) return t("photo_err_empty");
  if (file.size > MAX) return t("photo_err_size", { size: mb(file.size) });
  return null;
}
const SERVER = { photo_type: "photo_err_type", photo_empty: "photo_err_empty", photo_too_large: "photo_err_size" };

export function Photo() {
  const [mine, setMine] = useState(null);
  const [file, setFile] = useState(null);
  const [pub, setPub] = useState(false);
  const [err, setErr] = useState(null);
  const [fieldErr, setFieldErr] = useState(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  useEffect(() => {
    call("GET", "/v1/helper/photo", undefined, "helper").then((r) => { setMine(r); setPub(!!r.public); }).catch(setErr);
  }, []);

  async function upload(e) {
    e.preventDefault();
    setErr(null); setDone(false);
    const problem = fileProblem(file);
    setFieldErr(problem);
    if (problem) { document.getElementById("ph-file").focus(); return; }
    setBusy(true);
    try {
      const resp = await fetch("/v1/helper/photo" + (pub ? "?public=true" : ""), { method: "PUT", body: file,
        headers: { "Content-Type": file.type, Authorization: "Bearer " + sessions.helper.get().token } });
      const data = await resp.json().catch(() => null);
      if (!resp.ok) {
        const code = data && SERVER[data.code];
        if (code) { setFieldErr(t(code, { size: mb(file.size) })); document.getElementById("ph-file").focus(); return; }
        throw new ApiError(resp.status, data);
      }
      setMine(data); setDone(true); setFile(null);
      document.getElementById("ph-file").value = "";
    } catch (x) {
      setErr(x instanceof ApiError ? x : new ApiError(0, null));
    } finally { setBusy(false); }
  }

  return (
    <form onSubmit={upload} noValidate>
      <p>{t("photo_intro")}</p>
      <h2>{t("photo_current")}</h2>
      {mine && mine.photo_url
        ? <img class="myphoto" src={mine.photo_url} alt={t("photo_current")} width="160" height="160" data-testid="my-photo" />
        : <p class="meta">{mine ? t("photo_none") : t("loading")}</p>}
      <div class="field">
        <label for="ph-file">{t("photo_choose")}</label>
        <p class="hint" id="ph-file-hint">{t("photo_hint")}</p>
        <input id="ph-file" type="file" accept="image/jpeg,image/png" aria-describedby={describedBy("ph-file", true, fieldErr)}
          aria-invalid={fieldErr ? "true" : undefined}
          onChange={(e) => { const f = e.currentTarget.files[0] || null; setFile(f); setDone(false); setFieldErr(f ? fileProblem(f) : null); }} />
        {fieldErr && <p class="field-error" id="ph-file-error" role="alert">{fieldErr}</p>}
      </div>
      <label class="choice"><input type="checkbox" checked={pub} onChange={(e) => setPub(e.currentTarget.checked)} />{t("photo_public")}</label>
      <Alert error={err} />
      {done && <p class="success" role="status">{t("photo_done")}</p>}
      <div class="actions"><button class="btn primary" disabled={busy}>{busy ? t("photo_uploading") : t("photo_upload")}</button></div>
    </form>
  );
}
