// The interactive API reference: Swagger UI over the platform's own OpenAPI document. "Try it out"
// sends real requests; paste a token from POST /api/v1/auth/token into "Authorize".
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: '/api/v1/openapi.json',
  dom_id: '#reference',
  deepLinking: true,
  persistAuthorization: false,
  tryItOutEnabled: false,
  // No call to swagger.io's online validator: the page talks to this platform only.
  validatorUrl: null,
})
