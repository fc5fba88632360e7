/**
 * Overrides of Swagger UI's colours where they fall below WCAG AA contrast (served at
 * /assets/reference.css, after swagger-ui.css).
 */
export const REFERENCE_CSS = `
.swagger-ui .info .url,.swagger-ui .url{color:#1b1f24}
.swagger-ui .btn.authorize{color:#0b5a3d;border-color:#0b5a3d}
.swagger-ui .btn.authorize span{color:#0b5a3d}
.swagger-ui .btn.authorize svg{fill:#0b5a3d}
.swagger-ui .opblock .opblock-summary-method{color:#fff}
.swagger-ui .opblock.opblock-get .opblock-summary-method{background:#1f5f9e}
.swagger-ui .opblock.opblock-post .opblock-summary-method{background:#0b6b47}
.swagger-ui .opblock.opblock-put .opblock-summary-method{background:#8a4b00}
.swagger-ui .opblock.opblock-delete .opblock-summary-method{background:#b3261e}
.swagger-ui .opblock.opblock-patch .opblock-summary-method{background:#0b6b5f}
.swagger-ui .opblock.opblock-head .opblock-summary-method,.swagger-ui .opblock.opblock-options .opblock-summary-method{background:#5b3f8c}
.swagger-ui .opblock-tag small,.swagger-ui .response-col_links,.swagger-ui .parameter__in,.swagger-ui .prop-format{color:#3d4450}
.swagger-ui .btn.execute{background:#1f5f9e;border-color:#1f5f9e}
.swagger-ui .btn.try-out__btn,.swagger-ui .try-out__btn{color:#1b1f24;border-color:#1b1f24}
.swagger-ui .btn.try-out__btn.cancel,.swagger-ui .btn.cancel{color:#8c1d18;border-color:#8c1d18}
.swagger-ui .download-contents{background:#1b1f24;color:#fff}
.swagger-ui .responses-inner h4,.swagger-ui .responses-inner h5{color:#1b1f24}
`;
