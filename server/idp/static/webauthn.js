// Security keys (WebAuthn) on the login pages of Kaz's built-in provider.
// No inline script: the button carries its URLs and messages in data-*.
"use strict";
(function () {
  const b64uToBuf = (s) => {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  };
  const bufToB64u = (buf) => {
    const bytes = new Uint8Array(buf);
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };

  function creationOptions(pk) {
    pk.challenge = b64uToBuf(pk.challenge);
    pk.user.id = b64uToBuf(pk.user.id);
    (pk.excludeCredentials || []).forEach((c) => { c.id = b64uToBuf(c.id); });
    return pk;
  }
  function requestOptions(pk) {
    pk.challenge = b64uToBuf(pk.challenge);
    (pk.allowCredentials || []).forEach((c) => { c.id = b64uToBuf(c.id); });
    return pk;
  }
  function encode(cred) {
    const r = cred.response;
    const out = { id: cred.id, rawId: bufToB64u(cred.rawId), type: cred.type, response: {
      clientDataJSON: bufToB64u(r.clientDataJSON) } };
    if (r.attestationObject) {
      out.response.attestationObject = bufToB64u(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = bufToB64u(r.authenticatorData);
      out.response.signature = bufToB64u(r.signature);
      if (r.userHandle) out.response.userHandle = bufToB64u(r.userHandle);
    }
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    out.clientExtensionResults = cred.getClientExtensionResults ? cred.getClientExtensionResults() : {};
    return out;
  }

  async function post(url, csrf, body) {
    const resp = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Kaz-CSRF": csrf },
      body: JSON.stringify(body || {}),
    });
    let data = {};
    try { data = await resp.json(); } catch (e) { /* not JSON */ }
    if (!resp.ok) {
      const err = new Error(data.error || "");
      err.fromServer = true;
      throw err;
    }
    return data;
  }

  function setup(btn) {
    const status = document.getElementById("webauthn-status");
    const errBox = document.getElementById("error");
    const show = (msg, isError) => {
      if (isError && errBox) { errBox.textContent = msg; errBox.hidden = false; if (status) status.textContent = ""; }
      else if (status) status.textContent = msg;
    };
    if (!window.PublicKeyCredential || !navigator.credentials) {
      btn.disabled = true;
      show(btn.dataset.msgUnsupported, false);
      return;
    }
    btn.addEventListener("click", async () => {
      btn.disabled = true;
      if (errBox) { errBox.hidden = true; errBox.textContent = ""; }
      show(btn.dataset.msgWorking, false);
      try {
        const opts = await post(btn.dataset.begin, btn.dataset.csrf, {});
        let cred;
        if (btn.dataset.mode === "register") {
          cred = await navigator.credentials.create({ publicKey: creationOptions(opts.publicKey) });
        } else {
          cred = await navigator.credentials.get({ publicKey: requestOptions(opts.publicKey) });
        }
        let finish = btn.dataset.finish;
        if (btn.dataset.nameInput) {
          const input = document.getElementById(btn.dataset.nameInput);
          finish += "&name=" + encodeURIComponent(input ? input.value : "");
        }
        const done = await post(finish, btn.dataset.csrf, encode(cred));
        window.location.assign(done.redirect);
      } catch (e) {
        show((e && e.fromServer && e.message) || btn.dataset.msgFailed, true);
        btn.disabled = false;
        btn.focus();
      }
    });
  }
  document.querySelectorAll("[data-testid=webauthn-button]").forEach(setup);
})();
