// The reference of this server's own API, from /openapi.json.
window.ui = SwaggerUIBundle({
  url: new URL('../openapi.json', window.location.href).pathname,
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: true,
  defaultModelsExpandDepth: 0,
})
