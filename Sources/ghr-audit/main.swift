print("ghr-audit")
