module github.com/kazhq/kaz
