import { defineConfig } from "vitest/config";

// Pure front-end logic (js/*.test.js) runs in node: no DOM, no bundler step.
export default defineConfig({
  test: {
    include: ["js/**/*.test.js"],
    environment: "node",
  },
});
