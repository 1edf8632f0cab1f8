from cyclogram.cli import main

main()
