# Vendored JavaScript of the web application (no CDN): htmx, Cytoscape.js and its fcose layout
# (with cose-base and layout-base, which fcose needs), and Swagger UI for the API's /docs,
# copied with their licences into the
# package's static files. The copies are committed so that a clone works without npm; this
# target refreshes them from the versions pinned in web/package-lock.json.
VENDOR_DIR := src/bigfish/web/static/vendor

.PHONY: vendor-js
vendor-js:
	npm ci --prefix web --ignore-scripts
	mkdir -p $(VENDOR_DIR)
	cp web/node_modules/htmx.org/dist/htmx.min.js $(VENDOR_DIR)/htmx.min.js
	cp web/node_modules/htmx.org/LICENSE $(VENDOR_DIR)/htmx.LICENSE
	cp web/node_modules/cytoscape/dist/cytoscape.min.js $(VENDOR_DIR)/cytoscape.min.js
	cp web/node_modules/cytoscape/LICENSE $(VENDOR_DIR)/cytoscape.LICENSE
	cp web/node_modules/layout-base/layout-base.js $(VENDOR_DIR)/layout-base.js
	cp web/node_modules/layout-base/LICENSE $(VENDOR_DIR)/layout-base.LICENSE
	cp web/node_modules/cose-base/cose-base.js $(VENDOR_DIR)/cose-base.js
	cp web/node_modules/cose-base/LICENSE $(VENDOR_DIR)/cose-base.LICENSE
	cp web/node_modules/cytoscape-fcose/cytoscape-fcose.js $(VENDOR_DIR)/cytoscape-fcose.js
	cp web/node_modules/cytoscape-fcose/LICENSE $(VENDOR_DIR)/cytoscape-fcose.LICENSE
	cp web/node_modules/swagger-ui-dist/swagger-ui-bundle.js $(VENDOR_DIR)/swagger-ui-bundle.js
	cp web/node_modules/swagger-ui-dist/swagger-ui.css $(VENDOR_DIR)/swagger-ui.css
	cat web/node_modules/swagger-ui-dist/LICENSE web/node_modules/swagger-ui-dist/NOTICE \
		> $(VENDOR_DIR)/swagger-ui.LICENSE
	cd web && node -e 'const l=require("./package-lock.json").packages;for(const [k,v] of Object.entries(l)){if(k)console.log(k.replace("node_modules/","")+" "+v.version+" "+(v.license||""))}' > ../$(VENDOR_DIR)/VERSIONS.txt
