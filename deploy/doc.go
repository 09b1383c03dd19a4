// Package deploy holds no code: it checks the deployment files
// (docker-compose.yml and deploy/) in its tests.
package deploy
