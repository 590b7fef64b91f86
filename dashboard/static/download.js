// Download a file that needs the user's token (a plain link could not carry
// it): fetch it, save it under the server's name, and say what happened.

export async function downloadWithToken(url, token, fallbackName) {
  let response;
  try {
    response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  } catch (_) {
    return "The server could not be reached.";
  }
  if (!response.ok) {
    let message = `${response.status} ${response.statusText}`;
    try { message = (await response.json()).error.message; } catch (_) { /* keep the status line */ }
    return `No report: ${message}`;
  }
  const name = (/filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "") || [])[1] || fallbackName;
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  return `Downloaded ${name}`;
}
